/** The reports module's public surface: a period's figures and the stored reports. */
export { type Change, periodFigures, type ReportFigures } from "./figures";
export { latestReports, type StoredReport } from "./report-service";
export { reportRoutes } from "./routes";
