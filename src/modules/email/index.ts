/** The email module's public surface: the one sender, the queue consumers and `GET /admin/emails`. */
export {
  deliverEmails,
  type EmailRequest,
  enqueueEmails,
  failEmails,
  type PreparedEmailRequest,
  type QueuedEmail,
  queueEmail,
  queuePreparedEmail,
  relayQueuedEmails,
} from "./email-service";
export { emailRoutes } from "./routes";
export { escapeHtml, PRODUCT_NAME } from "./templates";
