import { defineErrors } from "../../lib/errors";

/** Every error code of reports. */
export const ReportErrors = defineErrors({
  REPORT_NOT_FOUND: (id: number) => ({ status: 404, detail: `Report with id ${id} not found` }),
});
