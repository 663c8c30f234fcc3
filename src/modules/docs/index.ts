/** The docs module's public surface: the Swagger UI and ReDoc pages. */
export { docsRoutes } from "./routes";
