package tenants

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/authz"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Memberships lists the tenants a user belongs to with role and permissions.
func (s *Service) Memberships(ctx context.Context, user identity.UserID) ([]Membership, error) {
	var rows []struct {
		TenantID tenancy.TenantID `db:"tenant_id"`
		Role     string           `db:"role"`
		Slug     string           `db:"slug"`
		Name     string           `db:"name"`
		Status   string           `db:"status"`
	}
	err := s.DB.SelectContext(ctx, &rows, `
SELECT m.tenant_id, m.role, t.slug, t.name, t.status
FROM staff_memberships($1) m JOIN tenants t ON t.id = m.tenant_id ORDER BY t.name, t.slug`, user)
	if err != nil {
		return nil, fmt.Errorf("memberships: %w", err)
	}
	out := make([]Membership, len(rows))
	for i, r := range rows {
		perms := append([]string(nil), s.Authz.Permissions(r.Role)...)
		sort.Strings(perms)
		out[i] = Membership{ID: r.TenantID, Slug: r.Slug, Name: r.Name, Status: r.Status, Role: r.Role, Permissions: perms}
	}
	return out, nil
}

type staffCursor struct {
	T  time.Time `json:"t"`
	ID string    `json:"i"`
}

// ListStaff lists the current tenant's staff, oldest first.
func (s *Service) ListStaff(ctx context.Context, p page.Request) ([]StaffMember, string, error) {
	p = p.Normalize()
	var cur staffCursor
	if err := page.Decode(p.Cursor, &cur); err != nil {
		return nil, "", err
	}
	var out []StaffMember
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.SelectContext(ctx, &out, `
SELECT user_id, role, created_at FROM tenant_staff
WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, user_id) > ($2, $3::uuid))
ORDER BY created_at, user_id LIMIT $4`, tenancy.ID(ctx), nullTime(cur.T), nullUUID(cur.ID), p.Limit+1); err != nil {
			return err
		}
		ids := make([]identity.UserID, len(out))
		for i, m := range out {
			ids[i] = m.UserID
		}
		users, err := s.Staff.UsersByID(ctx, tx, ids)
		if err != nil {
			return err
		}
		for i := range out {
			u := users[out[i].UserID]
			out[i].Email, out[i].Name, out[i].Status = u.Email, u.Name, "active"
			if u.Invited {
				out[i].Status = "invited"
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("list staff: %w", err)
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		last := out[len(out)-1]
		next = page.Encode(staffCursor{T: last.CreatedAt, ID: string(last.UserID)})
	}
	return out, next, nil
}

// InviteInput is the body of POST /admin/staff.
type InviteInput struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// Invited is the answer to an invitation. InviteToken is set when the user is
// new and must accept the invitation to set a password.
type Invited struct {
	StaffMember
	InviteToken string `json:"-"`
}

// callerRole is the role of the acting staff user in the current tenant.
func (s *Service) callerRole(ctx context.Context) string {
	a, _ := identity.ActorFrom(ctx)
	roles := s.Authz.Roles(string(a.UserID), string(tenancy.ID(ctx)))
	if len(roles) == 0 {
		return ""
	}
	return roles[0]
}

// Only an owner can make, change or remove an owner.
func (s *Service) checkRoleChange(ctx context.Context, from, to string) error {
	if (from == "owner" || to == "owner") && s.callerRole(ctx) != "owner" {
		return errs.E(errs.Forbidden, "only an owner can grant or remove the owner role")
	}
	return nil
}

// InviteStaff adds a user (existing, or invited by email) to the current
// tenant with a role, within the plan's staff quota.
func (s *Service) InviteStaff(ctx context.Context, in InviteInput) (Invited, error) {
	v := errs.Validator{}
	email, err := identity.NormalizeEmail("email", in.Email)
	v.Merge("email", err)
	v.Check(ValidRole(in.Role), "role", "invalid_role", "role must be one of owner, admin, operations, finance, support")
	if err := v.Err(); err != nil {
		return Invited{}, err
	}
	if err := s.checkRoleChange(ctx, "", in.Role); err != nil {
		return Invited{}, err
	}
	tid := tenancy.ID(ctx)
	var out Invited
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		// Lock the tenant row so two concurrent invitations cannot both pass
		// the quota check.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, tid); err != nil {
			return err
		}
		var member bool
		if err := tx.GetContext(ctx, &member, `SELECT EXISTS (SELECT 1 FROM tenant_staff s JOIN staff_users u ON u.id = s.user_id WHERE s.tenant_id = $1 AND u.email = $2)`, tid, email); err != nil {
			return err
		}
		if member {
			return errs.Field("email", "already_member", "this person is already on the staff")
		}
		plan, err := s.CurrentPlan(ctx, tx)
		if err != nil {
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM tenant_staff WHERE tenant_id = $1`, tid); err != nil {
			return err
		}
		if n >= plan.MaxStaff {
			return QuotaError("staff members", plan.MaxStaff)
		}
		uid, token, err := s.Staff.FindOrInvite(ctx, tx, email)
		if err != nil {
			return err
		}
		a, _ := identity.ActorFrom(ctx)
		_, err = tx.ExecContext(ctx, `INSERT INTO tenant_staff (tenant_id, user_id, role, invited_by) VALUES ($1, $2, $3, $4)`, tid, uid, in.Role, a.UserID)
		if db.IsUnique(err, "tenant_staff_pkey") {
			return errs.Field("email", "already_member", "this person is already on the staff")
		}
		if err != nil {
			return fmt.Errorf("invite: %w", err)
		}
		status := "active"
		if token != "" {
			status = "invited"
		}
		out = Invited{StaffMember: StaffMember{UserID: uid, Email: email, Role: in.Role, Status: status, CreatedAt: time.Now()}, InviteToken: token}
		if err := audit.Record(ctx, tx, tid, "staff.invite", "staff", string(uid), map[string]string{"email": email, "role": in.Role}); err != nil {
			return err
		}
		return authz.Notify(ctx, tx)
	})
	if err != nil {
		return Invited{}, err
	}
	return out, s.Authz.Reload(ctx)
}

// ChangeRole changes a staff member's role.
func (s *Service) ChangeRole(ctx context.Context, user identity.UserID, role string) (StaffMember, error) {
	if !tenancy.ValidUUID(string(user)) {
		return StaffMember{}, errs.E(errs.NotFound, "staff member not found")
	}
	if !ValidRole(role) {
		return StaffMember{}, errs.Field("role", "invalid_role", "role must be one of owner, admin, operations, finance, support")
	}
	tid := tenancy.ID(ctx)
	var out StaffMember
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var from string
		if err := tx.GetContext(ctx, &from, `SELECT role FROM tenant_staff WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE`, tid, user); err != nil {
			return db.NotFound(err, "staff member")
		}
		if err := s.checkRoleChange(ctx, from, role); err != nil {
			return err
		}
		if from == "owner" && role != "owner" {
			if err := s.keepAnOwner(ctx, tx, tid); err != nil {
				return err
			}
		}
		if err := tx.GetContext(ctx, &out, `UPDATE tenant_staff SET role = $3 WHERE tenant_id = $1 AND user_id = $2 RETURNING user_id, role, created_at`, tid, user, role); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, tid, "staff.change_role", "staff", string(user), map[string]string{"from": from, "to": role}); err != nil {
			return err
		}
		return authz.Notify(ctx, tx)
	})
	if err != nil {
		return StaffMember{}, err
	}
	return out, s.Authz.Reload(ctx)
}

// keepAnOwner fails when the tenant would be left without an owner.
func (s *Service) keepAnOwner(ctx context.Context, tx *db.Tx, tid tenancy.TenantID) error {
	var owners int
	if err := tx.GetContext(ctx, &owners, `SELECT count(*) FROM (SELECT 1 FROM tenant_staff WHERE tenant_id = $1 AND role = 'owner' FOR UPDATE) o`, tid); err != nil {
		return err
	}
	if owners <= 1 {
		return errs.E(errs.InvalidState, "a shop must keep at least one owner")
	}
	return nil
}

// RemoveStaff removes a staff member from the current tenant.
func (s *Service) RemoveStaff(ctx context.Context, user identity.UserID) error {
	if !tenancy.ValidUUID(string(user)) {
		return errs.E(errs.NotFound, "staff member not found")
	}
	tid := tenancy.ID(ctx)
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var role string
		if err := tx.GetContext(ctx, &role, `SELECT role FROM tenant_staff WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE`, tid, user); err != nil {
			return db.NotFound(err, "staff member")
		}
		if err := s.checkRoleChange(ctx, role, ""); err != nil {
			return err
		}
		if role == "owner" {
			if err := s.keepAnOwner(ctx, tx, tid); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tenant_staff WHERE tenant_id = $1 AND user_id = $2`, tid, user); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, tid, "staff.remove", "staff", string(user), map[string]string{"role": role}); err != nil {
			return err
		}
		return authz.Notify(ctx, tx)
	})
	if err != nil {
		return err
	}
	return s.Authz.Reload(ctx)
}
