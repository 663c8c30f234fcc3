export * from "./auth";
export * from "./email";
export * from "./events";
export * from "./identity";
export * from "./oauth";
export * from "./reports";
export * from "./training";
export * from "./webhooks";
