import { createRouter } from "../../middleware/route";
import { moduleRoutes } from "./module-routes";
import { progressRoutes } from "./progress-routes";

/** KC7 learning: the module catalog and users' progress in it. */
export const learningRoutes = createRouter().route("/", moduleRoutes).route("/", progressRoutes);
