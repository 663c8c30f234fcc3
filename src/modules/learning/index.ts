/** The learning module's public surface: module catalog and progress routes, and its errors. */
export { LearningErrors } from "./errors";
export { progressOfUser } from "./progress-service";
export { learningRoutes } from "./routes";
