package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
)

// User is a staff user.
type User struct {
	ID      UserID `db:"id" json:"id"`
	Email   string `db:"email" json:"email"`
	Name    string `db:"name" json:"name"`
	Invited bool   `db:"invited" json:"-"`
}

// Session is an issued token.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Staff is the staff identity service.
type Staff struct {
	DB       *db.DB
	Throttle *Throttle
	TokenTTL time.Duration
}

// Per-account and per-address limits of failed logins in a throttle window.
const (
	accountFailureLimit = 5
	addressFailureLimit = 30
)

// NormalizeEmail lower-cases and checks an email address.
func NormalizeEmail(field, email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", errs.Field(field, "required", "email is required")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndex(e, "@"):], ".") || len(e) > 254 {
		return "", errs.Field(field, "invalid_email", "not a valid email address")
	}
	return e, nil
}

// CreateUser creates a staff user with a password inside tx (signup).
func (s *Staff) CreateUser(ctx context.Context, tx *db.Tx, email, name, password string) (UserID, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	var id UserID
	err = tx.GetContext(ctx, &id, `INSERT INTO staff_users (email, name, password_hash, password_changed_at) VALUES ($1, $2, $3, now()) RETURNING id`, email, name, hash)
	if db.IsUnique(err, "staff_users_email_key") {
		return "", errs.Field("email", "taken", "an account with this email already exists; log in and create the shop from there")
	}
	if err != nil {
		return "", fmt.Errorf("create user: %w", err)
	}
	return id, nil
}

// FindOrInvite returns the user with email, creating an invited user with a
// one-time invitation token when there is none. inviteToken is "" for an
// existing user.
func (s *Staff) FindOrInvite(ctx context.Context, tx *db.Tx, email string) (id UserID, inviteToken string, err error) {
	err = tx.GetContext(ctx, &id, `SELECT id FROM staff_users WHERE email = $1`, email)
	if err == nil {
		return id, "", nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("find user: %w", err)
	}
	token, hash := NewToken(InviteTokenPrefix)
	err = tx.GetContext(ctx, &id, `INSERT INTO staff_users (email, invite_token_hash, invite_expires_at) VALUES ($1, $2, now() + interval '7 days') RETURNING id`, email, hash)
	if err != nil {
		return "", "", fmt.Errorf("invite user: %w", err)
	}
	return id, token, nil
}

// IssueSession creates a session for user inside tx.
func (s *Staff) IssueSession(ctx context.Context, tx *db.Tx, user UserID) (Session, error) {
	token, hash := NewToken(StaffTokenPrefix)
	exp := time.Now().Add(s.TokenTTL).UTC().Truncate(time.Second)
	if _, err := tx.ExecContext(ctx, `INSERT INTO staff_sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`, hash, user, exp); err != nil {
		return Session{}, fmt.Errorf("issue session: %w", err)
	}
	return Session{Token: token, ExpiresAt: exp}, nil
}

func throttleKeys(scope, account, addr string) []ThrottleKey {
	keys := []ThrottleKey{{Key: scope + ":acct:" + account, Limit: accountFailureLimit}}
	if addr != "" {
		keys = append(keys, ThrottleKey{Key: "addr:" + addr, Limit: addressFailureLimit})
	}
	return keys
}

// Login checks email and password and issues a session. The error for a
// wrong password and an unknown email is the same.
func (s *Staff) Login(ctx context.Context, email, password, addr string) (Session, User, error) {
	u, err := s.CheckPassword(ctx, email, password, addr)
	if err != nil {
		return Session{}, User{}, err
	}
	var sess Session
	err = s.DB.InPlatform(ctx, func(tx *db.Tx) error {
		sess, err = s.IssueSession(ctx, tx, u.ID)
		return err
	})
	return sess, u, err
}

// CheckPassword verifies a user's password, counting failures against the
// account and the address.
func (s *Staff) CheckPassword(ctx context.Context, email, password, addr string) (User, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return User{}, err
	}
	if password == "" {
		return User{}, errs.Field("password", "required", "password is required")
	}
	keys := throttleKeys("staff", email, addr)
	if err := s.Throttle.Check(ctx, keys...); err != nil {
		return User{}, err
	}
	var row struct {
		User
		Hash string `db:"password_hash"`
	}
	err = s.DB.GetContext(ctx, &row, `SELECT id, email, name, password_hash, password_hash = '' AS invited FROM staff_users WHERE email = $1`, email)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("login: %w", err)
	}
	hash := row.Hash
	if hash == "" {
		hash = dummyHash
	}
	if !VerifyPassword(hash, password) || row.Hash == "" {
		if ferr := s.Throttle.Fail(ctx, keys...); ferr != nil {
			return User{}, ferr
		}
		return User{}, errs.E(errs.Unauthenticated, "wrong email or password")
	}
	s.Throttle.Reset(ctx, keys[0].Key)
	return row.User, nil
}

// Authenticate resolves a bearer token to its user.
func (s *Staff) Authenticate(ctx context.Context, token string) (Actor, error) {
	if !HasPrefix(token, StaffTokenPrefix) {
		return Actor{}, errs.E(errs.Unauthenticated, "invalid token")
	}
	var row struct {
		UserID    UserID     `db:"user_id"`
		ExpiresAt time.Time  `db:"expires_at"`
		RevokedAt *time.Time `db:"revoked_at"`
	}
	err := s.DB.GetContext(ctx, &row, `SELECT user_id, expires_at, revoked_at FROM staff_sessions WHERE token_hash = $1`, HashToken(token))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && row.RevokedAt != nil) {
		return Actor{}, errs.E(errs.Unauthenticated, "invalid or revoked token")
	}
	if err != nil {
		return Actor{}, fmt.Errorf("authenticate: %w", err)
	}
	if !row.ExpiresAt.After(time.Now()) {
		return Actor{}, errs.E(errs.TokenExpired, "the token has expired; log in again")
	}
	return Actor{Kind: "staff", UserID: row.UserID, Expires: row.ExpiresAt}, nil
}

// Logout revokes the token.
func (s *Staff) Logout(ctx context.Context, token string) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE staff_sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL`, HashToken(token))
	return err
}

// ChangePassword checks the current password, sets the new one, revokes
// every session of the user and issues a fresh one.
func (s *Staff) ChangePassword(ctx context.Context, user UserID, current, next string) (Session, error) {
	var u struct {
		Email string `db:"email"`
		Hash  string `db:"password_hash"`
	}
	if err := s.DB.GetContext(ctx, &u, `SELECT email, password_hash FROM staff_users WHERE id = $1`, user); err != nil {
		return Session{}, db.NotFound(err, "user")
	}
	if !VerifyPassword(u.Hash, current) {
		return Session{}, errs.Field("current_password", "wrong_password", "the current password is wrong")
	}
	if err := CheckPassword("new_password", next, u.Email); err != nil {
		return Session{}, err
	}
	hash, err := HashPassword(next)
	if err != nil {
		return Session{}, err
	}
	var sess Session
	err = s.DB.InPlatform(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET password_hash = $2, password_changed_at = now() WHERE id = $1`, user, hash); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, user); err != nil {
			return err
		}
		sess, err = s.IssueSession(ctx, tx, user)
		return err
	})
	return sess, err
}

// AcceptInvite sets the invited user's name and password and logs them in.
func (s *Staff) AcceptInvite(ctx context.Context, token, name, password string) (Session, User, error) {
	v := errs.Validator{}
	v.Check(HasPrefix(token, InviteTokenPrefix), "token", "invalid", "not an invitation token")
	v.Check(strings.TrimSpace(name) != "" && len(name) <= 64, "name", "required", "name is required (at most 64 characters)")
	if err := v.Err(); err != nil {
		return Session{}, User{}, err
	}
	var u User
	err := s.DB.GetContext(ctx, &u, `SELECT id, email, name FROM staff_users WHERE invite_token_hash = $1 AND invite_expires_at > now() AND password_hash = ''`, HashToken(token))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, User{}, errs.Field("token", "invalid", "the invitation is invalid, used or expired")
	}
	if err != nil {
		return Session{}, User{}, err
	}
	if err := CheckPassword("password", password, u.Email); err != nil {
		return Session{}, User{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return Session{}, User{}, err
	}
	u.Name = strings.TrimSpace(name)
	var sess Session
	err = s.DB.InPlatform(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff_users SET name = $2, password_hash = $3, password_changed_at = now(), invite_token_hash = NULL, invite_expires_at = NULL WHERE id = $1 AND password_hash = ''`, u.ID, u.Name, hash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.Field("token", "invalid", "the invitation was already used")
		}
		sess, err = s.IssueSession(ctx, tx, u.ID)
		return err
	})
	return sess, u, err
}

// UserByID returns a user.
func (s *Staff) UserByID(ctx context.Context, id UserID) (User, error) {
	var u User
	err := s.DB.GetContext(ctx, &u, `SELECT id, email, name, password_hash = '' AS invited FROM staff_users WHERE id = $1`, id)
	return u, db.NotFound(err, "user")
}

// UsersByID returns users keyed by id.
func (s *Staff) UsersByID(ctx context.Context, tx *db.Tx, ids []UserID) (map[UserID]User, error) {
	out := map[UserID]User{}
	if len(ids) == 0 {
		return out, nil
	}
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = string(id)
	}
	var rows []User
	if err := tx.SelectContext(ctx, &rows, `SELECT id, email, name, password_hash = '' AS invited FROM staff_users WHERE id = ANY($1::uuid[])`, pqArray(strs)); err != nil {
		return nil, err
	}
	for _, u := range rows {
		out[u.ID] = u
	}
	return out, nil
}

// PlatformRoles returns the user's platform roles.
func (s *Staff) PlatformRoles(ctx context.Context, id UserID) ([]string, error) {
	var roles []string
	err := s.DB.SelectContext(ctx, &roles, `SELECT role FROM platform_staff WHERE user_id = $1`, id)
	return roles, err
}

// EnsurePlatformUser creates (or updates the password of) a platform
// operator. Used by `banyan seed` and `banyan operator create`.
func (s *Staff) EnsurePlatformUser(ctx context.Context, email, name, password, role string) (UserID, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return "", err
	}
	if err := CheckPassword("password", password, email); err != nil {
		return "", err
	}
	if role != "operator" && role != "superadmin" {
		return "", errs.Field("role", "invalid", "role must be operator or superadmin")
	}
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	var id UserID
	err = s.DB.InPlatform(ctx, func(tx *db.Tx) error {
		err := tx.GetContext(ctx, &id, `
INSERT INTO staff_users (email, name, password_hash, password_changed_at) VALUES ($1, $2, $3, now())
ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name RETURNING id`, email, name, hash)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO platform_staff (user_id, role) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET role = EXCLUDED.role`, id, role)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `SELECT pg_notify('banyan_authz', 'platform')`)
		return err
	})
	return id, err
}
