export * from "./auth";
export * from "./events";
export * from "./identity";
export * from "./training";
