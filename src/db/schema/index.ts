export * from "./auth";
export * from "./chat";
export * from "./email";
export * from "./events";
export * from "./identity";
export * from "./reports";
export * from "./training";
