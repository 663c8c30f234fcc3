/** The email module's public surface: the one sender, the queue consumers and `GET /admin/emails`. */
export { deliverEmails, type EmailRequest, failEmails, type QueuedEmail, queueEmail } from "./email-service";
export { emailRoutes } from "./routes";
export { escapeHtml, PRODUCT_NAME } from "./templates";
