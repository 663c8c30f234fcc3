/** The reports module's public surface: a period's figures, the stored reports, routes and jobs. */
export { type Change, periodFigures, type ReportFigures } from "./figures";
export { latestReports, type StoredReport } from "./report-service";
export { reportRoutes, UNSUBSCRIBE_PATH } from "./routes";
export { DAILY_REPORT_CRON, REPORT_SCHEDULES, runReportCron, WEEKLY_DELIVERY_CRON } from "./schedule-service";
export { continueReportSends, isReportSendMessage } from "./send-service";
