/** Integrations' public surface: integration keys and one-time login links. */
export { IntegrationErrors } from "./errors";
export { integrationRoutes } from "./routes";
