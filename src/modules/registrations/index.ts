/** The registrations module's public surface: its routes and errors. */
export { RegistrationErrors } from "./errors";
export { registrationRoutes } from "./routes";
