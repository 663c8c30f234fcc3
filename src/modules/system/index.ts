/** The system module's public surface: banner, hello and health. */
export { systemRoutes } from "./routes";
