/** The trainings module's public surface: its routes, its errors, and the draft-visibility rule. */
export { TrainingErrors } from "./errors";
export { trainingRoutes } from "./routes";
export { type CatalogEntry, findCatalogWithSeats, findTrainingTitles } from "./training-repository";
export { canSeeDrafts } from "./training-service";
