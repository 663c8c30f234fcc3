/**
 * The access module's public surface: what other modules may use of users, organizations, roles and
 * permissions. Everything else in this folder is internal to it.
 */
export { bootstrapAdmin } from "./bootstrap";
export { AccessErrors } from "./errors";
export { joinableOrganizationIds } from "./organizations/organization-repository";
export { accessRoutes } from "./routes";
export { assertMaySignInAs, assertNotMorePrivileged } from "./rules";
export {
  IDENTITY_LINKED_ELSEWHERE,
  linkIdentityStatement,
  linkIdentityToStatements,
  touchIdentityStatement,
} from "./users/identity-repository";
export { EmailSchema, MeSchema, PasswordSchema, UsernameSchema } from "./users/schemas";
export {
  activeUserAtGuard,
  changeEmailStatement,
  credentialsStatement,
  findLinkUser,
  findUserViewByUsername,
  isActiveUser,
  joinVerifiedDomainsStatements,
  type LinkUser,
  linkUserStatement,
  recordLinkLoginStatement,
  recordLoginStatement,
  setPasswordStatement,
  takenUsernames,
  totpEnabledSql,
  userConstraintErrors,
  userForChangeOf,
  userForChangeStatements,
  verifyEmailStatement,
} from "./users/user-repository";
export { currentUser, newUserStatements, userViewById, userViewRead } from "./users/user-service";
export type { UserView } from "./users/user-view";
export { UserSchema } from "./users/user-view";
