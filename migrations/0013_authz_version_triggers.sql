-- Every change that takes something away from what a user may do bumps users.authz_version, so
-- that an access token issued with the user's authorization (claim `az`, see src/modules/sessions)
-- is refused once it claims more than the user has: a role or a membership removed, a permission
-- taken from one of its roles, an admin flag cleared, a role or permission renamed, the user
-- renamed. A grant bumps nothing: a token that claims less than the user has is merely behind
-- (the next refresh brings the grant), and the user's other tokens stay good.
-- Triggers, not application code: no write path (or a future one) can forget them.
CREATE TRIGGER authz_user_roles_delete AFTER DELETE ON user_roles BEGIN
  UPDATE users SET authz_version = authz_version + 1 WHERE id = OLD.user_id;
END;
--> statement-breakpoint
CREATE TRIGGER authz_role_permissions_delete AFTER DELETE ON role_permissions BEGIN
  UPDATE users SET authz_version = authz_version + 1
   WHERE id IN (SELECT user_id FROM user_roles WHERE role_id = OLD.role_id);
END;
--> statement-breakpoint
CREATE TRIGGER authz_roles_update AFTER UPDATE OF name, organization_id ON roles BEGIN
  UPDATE users SET authz_version = authz_version + 1
   WHERE id IN (SELECT user_id FROM user_roles WHERE role_id = NEW.id);
END;
--> statement-breakpoint
CREATE TRIGGER authz_permissions_update AFTER UPDATE OF resource, action, organization_id ON permissions BEGIN
  UPDATE users SET authz_version = authz_version + 1
   WHERE id IN (SELECT ur.user_id FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id
                 WHERE rp.permission_id = NEW.id);
END;
--> statement-breakpoint
CREATE TRIGGER authz_members_update AFTER UPDATE OF is_admin, user_id, organization_id ON organization_members
WHEN OLD.is_admin > NEW.is_admin OR OLD.user_id IS NOT NEW.user_id OR OLD.organization_id IS NOT NEW.organization_id
BEGIN
  UPDATE users SET authz_version = authz_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
END;
--> statement-breakpoint
CREATE TRIGGER authz_members_delete AFTER DELETE ON organization_members BEGIN
  UPDATE users SET authz_version = authz_version + 1 WHERE id = OLD.user_id;
END;
--> statement-breakpoint
CREATE TRIGGER authz_username_update AFTER UPDATE OF username ON users WHEN NEW.username IS NOT OLD.username BEGIN
  UPDATE users SET authz_version = authz_version + 1 WHERE id = NEW.id;
END;
