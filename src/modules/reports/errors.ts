import { defineErrors } from "../../lib/errors";

/** Every error code of reports. */
export const ReportErrors = defineErrors({
  REPORT_NOT_FOUND: (id: number) => ({ status: 404, detail: `Report with id ${id} not found` }),
  UNSUBSCRIBE_TOKEN_INVALID: () => ({
    status: 400,
    detail: "This unsubscribe link is not valid; use the link of a report email as it was sent",
  }),
  REPORT_SEND_BUSY: (id: number) => ({
    status: 409,
    detail: `Report ${id} is being sent under this subject by another request; try again shortly`,
  }),
});
