/** The retention module's public surface: the purge the cron runs. */
export { purgeExpired } from "./retention-service";
