/** The chat module's public surface: its routes, its errors, and the WebSocket protocol its Durable Object runs. */
export { ChatErrors } from "./errors";
export { chatRoutes } from "./routes";
export {
  answerSocketMessage,
  countQuestion,
  liveSessionIds,
  type RateWindow,
  SOCKETS_PER_USER,
  type SocketReply,
  type SocketState,
  socketIdentity,
} from "./socket";
