/** The registrations module's public surface: its routes and errors. */
export { RegistrationErrors } from "./errors";
export { listOwnRegistrations } from "./registration-service";
export { registrationRoutes } from "./routes";
