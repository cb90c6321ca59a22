// Package members holds a shop's customers: their accounts, login by phone +
// one-time code, email + password or a third-party (OAuth2/OIDC) provider,
// their sessions, profiles and addresses, tags, levels and points.
// README.md in this folder states the rules and the APIs checkout calls.
//
// It owns the tables members, member_sessions, member_otps, member_levels,
// member_level_history, member_order_credits, member_tags, member_tag_links,
// member_addresses, member_points, points_settings, oauth_providers,
// oauth_states and member_identities.
package members

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/secrets"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Member is a customer of one shop.
type Member struct {
	ID        identity.MemberID `db:"id" json:"id"`
	Phone     *string           `db:"phone" json:"phone"`
	Email     *string           `db:"email" json:"email"`
	Name      string            `db:"name" json:"name"`
	AvatarURL string            `db:"avatar_url" json:"avatar_url"`
	Gender    string            `db:"gender" json:"gender"`
	Birthday  *string           `db:"birthday" json:"birthday"` // YYYY-MM-DD
	Status    string            `db:"status" json:"status"`
	LevelID   *LevelID          `db:"level_id" json:"level_id"`
	// ReferrerID is set by the distribution capability, never by the member.
	ReferrerID *identity.MemberID `db:"referrer_id" json:"referrer_id"`
	// TotalSpend and Growth sum the member's completed orders
	// (RecordCompletedOrder); levels are reached by them.
	TotalSpend decimal.Decimal `db:"total_spend" json:"total_spend"`
	Growth     int64           `db:"growth" json:"growth"`
	CreatedAt  time.Time       `db:"created_at" json:"created_at"`
}

// SMSSender delivers one-time codes. Production deployments plug in their
// SMS gateway; development uses LogSender.
type SMSSender interface {
	Send(ctx context.Context, tenant tenancy.TenantID, phone, message string) error
}

// LogSender writes messages to the log instead of sending them.
type LogSender struct{ Log *slog.Logger }

// Send logs the message.
func (l LogSender) Send(_ context.Context, tenant tenancy.TenantID, phone, message string) error {
	l.Log.Info("sms (dev sender: not sent)", "tenant", tenant, "phone", phone, "message", message)
	return nil
}

// Service is the member account service.
type Service struct {
	DB       *db.DB
	Throttle *identity.Throttle
	SMS      SMSSender
	TokenTTL time.Duration
	// Hooks run inside the registration transaction (the distribution
	// capability binds a referrer here), whatever the way of registering.
	OnRegister []func(ctx context.Context, tx *db.Tx, m Member) error
	// HTTPClient calls third-party login providers; nil means
	// OAuthHTTPClient(false), which refuses private and loopback addresses.
	HTTPClient *http.Client
	// CouponCounts and OrderCounts fill a member's admin detail with counts
	// by status; the marketing and orders capabilities set them. Nil means
	// not available, shown as null (never as a made-up zero).
	CouponCounts func(ctx context.Context, tx *db.Tx, id identity.MemberID) (map[string]int64, error)
	OrderCounts  func(ctx context.Context, tx *db.Tx, id identity.MemberID) (map[string]int64, error)
	// Secrets seals login providers' client secrets before they are stored
	// (core/secrets); required for them.
	Secrets *secrets.Box

	sessionsOnce sync.Once
	sessions     *db.Cache[session]
}

const (
	otpTTL         = 5 * time.Minute
	otpResendAfter = 60 * time.Second
	otpMaxAttempts = 5
)

var phoneRe = regexp.MustCompile(`^(1[3-9]\d{9}|\+[1-9]\d{6,14})$`)

// NormalizePhone checks a phone number: a mainland mobile number or E.164.
func NormalizePhone(field, phone string) (string, error) {
	p := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(phone))
	if p == "" {
		return "", errs.Field(field, "required", "phone is required")
	}
	if !phoneRe.MatchString(p) {
		return "", errs.Field(field, "invalid_phone", "a mainland mobile number (11 digits) or +country number")
	}
	return p, nil
}

func otpHash(tenant tenancy.TenantID, phone, code string) []byte {
	h := sha256.Sum256([]byte(string(tenant) + "|" + phone + "|" + code))
	return h[:]
}

// RequestOTP sends a one-time code to phone.
func (s *Service) RequestOTP(ctx context.Context, phone string) error {
	phone, err := NormalizePhone("phone", phone)
	if err != nil {
		return err
	}
	tid := tenancy.ID(ctx)
	n, err := rand.Int(rand.Reader, big.NewInt(1000000))
	if err != nil {
		return err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `
INSERT INTO member_otps AS o (tenant_id, phone, code_hash, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))
ON CONFLICT (tenant_id, phone) DO UPDATE SET code_hash = EXCLUDED.code_hash, attempts = 0, sent_at = now(), expires_at = EXCLUDED.expires_at
WHERE o.sent_at < now() - make_interval(secs => $5)`, tid, phone, otpHash(tid, phone, code), otpTTL.Seconds(), otpResendAfter.Seconds())
		if err != nil {
			return fmt.Errorf("otp: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.RateLimited, "a code was sent less than a minute ago; wait before asking again")
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.SMS.Send(ctx, tid, phone, fmt.Sprintf("Your verification code is %s (valid for 5 minutes). 您的验证码是 %s，5 分钟内有效。", code, code))
}

// consumeOTP checks and burns a code in a transaction of its own, so that a
// wrong attempt is counted even though the request fails.
func (s *Service) consumeOTP(ctx context.Context, phone, code string) error {
	tid := tenancy.ID(ctx)
	var outcome error
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var row struct {
			Hash     []byte    `db:"code_hash"`
			Attempts int       `db:"attempts"`
			Expires  time.Time `db:"expires_at"`
		}
		err := tx.GetContext(ctx, &row, `SELECT code_hash, attempts, expires_at FROM member_otps WHERE tenant_id = $1 AND phone = $2 FOR UPDATE`, tid, phone)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (row.Expires.Before(time.Now()) || row.Attempts >= otpMaxAttempts)) {
			outcome = errs.Field("code", "expired", "the code has expired or was not requested; ask for a new one")
			return nil
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(row.Hash, otpHash(tid, phone, code)) != 1 {
			outcome = errs.Field("code", "wrong_code", "the code is wrong")
			_, err := tx.ExecContext(ctx, `UPDATE member_otps SET attempts = attempts + 1 WHERE tenant_id = $1 AND phone = $2`, tid, phone)
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM member_otps WHERE tenant_id = $1 AND phone = $2`, tid, phone)
		return err
	})
	if err != nil {
		return err
	}
	return outcome
}

// RegisterInput registers by phone + code, or by email + password.
type RegisterInput struct {
	Phone    string `json:"phone"`
	Code     string `json:"code"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// Auth is a member session.
type Auth struct {
	Member  Member           `json:"member"`
	Token   string           `json:"token"`
	Expires time.Time        `json:"expires_at"`
	Session identity.Session `json:"-"`
}

const memberCols = `id, phone, email, name, avatar_url, gender, to_char(birthday, 'YYYY-MM-DD') AS birthday, status,
level_id, referrer_id, total_spend, growth, created_at`

// Register creates a member and logs them in.
func (s *Service) Register(ctx context.Context, in RegisterInput) (Auth, error) {
	v := errs.Validator{}
	in.Name = strings.TrimSpace(in.Name)
	v.Check(len([]rune(in.Name)) <= 64, "name", "too_long", "at most 64 characters")
	var phone, email, hash string
	byPhone := in.Phone != "" || in.Code != ""
	if byPhone {
		p, err := NormalizePhone("phone", in.Phone)
		v.Merge("phone", err)
		phone = p
		v.Check(len(in.Code) == 6, "code", "required", "the 6-digit code sent to the phone")
	} else {
		e, err := identity.NormalizeEmail("email", in.Email)
		v.Merge("email", err)
		email = e
		v.Merge("password", identity.CheckPassword("password", in.Password, email))
	}
	if err := v.Err(); err != nil {
		return Auth{}, err
	}
	if !byPhone {
		h, err := identity.HashPassword(in.Password)
		if err != nil {
			return Auth{}, err
		}
		hash = h
	}
	if byPhone {
		if err := s.consumeOTP(ctx, phone, in.Code); err != nil {
			return Auth{}, err
		}
	}
	var out Auth
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var m Member
		err := tx.GetContext(ctx, &m, `INSERT INTO members (tenant_id, phone, email, name, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING `+memberCols,
			tenancy.ID(ctx), nullStr(phone), nullStr(email), in.Name, hash)
		switch {
		case db.IsUnique(err, "members_phone_key"):
			return errs.Field("phone", "taken", "this phone number is already registered; log in instead")
		case db.IsUnique(err, "members_email_key"):
			return errs.Field("email", "taken", "this email is already registered; log in instead")
		case err != nil:
			return fmt.Errorf("register: %w", err)
		}
		if m, err = s.registered(ctx, tx, m); err != nil {
			return err
		}
		out, err = s.issue(ctx, tx, m)
		return err
	})
	return out, err
}

// registered runs what every new member gets, however they registered: the
// entry level and the registration hooks.
func (s *Service) registered(ctx context.Context, tx *db.Tx, m Member) (Member, error) {
	if _, err := s.upgrade(ctx, tx, m.ID, "register", ""); err != nil {
		return m, err
	}
	for _, hook := range s.OnRegister {
		if err := hook(ctx, tx, m); err != nil {
			return m, err
		}
	}
	err := tx.GetContext(ctx, &m, `SELECT `+memberCols+` FROM members WHERE tenant_id = $1 AND id = $2`, tenancy.ID(ctx), m.ID)
	return m, err
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// LoginInput logs in by phone + code or by email + password.
type LoginInput struct {
	Phone    string `json:"phone"`
	Code     string `json:"code"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Login checks the credentials and issues a session.
func (s *Service) Login(ctx context.Context, in LoginInput, addr string) (Auth, error) {
	tid := tenancy.ID(ctx)
	if in.Phone != "" {
		phone, err := NormalizePhone("phone", in.Phone)
		if err != nil {
			return Auth{}, err
		}
		keys := []identity.ThrottleKey{{Key: "member:" + string(tid) + ":" + phone, Limit: 10}, {Key: "addr:" + addr, Limit: 30}}
		if err := s.Throttle.Check(ctx, keys...); err != nil {
			return Auth{}, err
		}
		if err := s.consumeOTP(ctx, phone, in.Code); err != nil {
			_ = s.Throttle.Fail(ctx, keys...)
			return Auth{}, err
		}
		var out Auth
		err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
			var m Member
			if err := tx.GetContext(ctx, &m, `SELECT `+memberCols+` FROM members WHERE tenant_id = $1 AND phone = $2`, tid, phone); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return errs.Field("phone", "not_registered", "no account with this phone; register first")
				}
				return err
			}
			var err error
			out, err = s.issue(ctx, tx, m)
			return err
		})
		return out, err
	}
	email, err := identity.NormalizeEmail("email", in.Email)
	if err != nil {
		return Auth{}, err
	}
	keys := []identity.ThrottleKey{{Key: "member:" + string(tid) + ":" + email, Limit: 5}, {Key: "addr:" + addr, Limit: 30}}
	if err := s.Throttle.Check(ctx, keys...); err != nil {
		return Auth{}, err
	}
	var row struct {
		Member
		Hash string `db:"password_hash"`
	}
	var out Auth
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		err := tx.GetContext(ctx, &row, `SELECT `+memberCols+`, password_hash FROM members WHERE tenant_id = $1 AND email = $2`, tid, email)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if row.Hash == "" || !identity.VerifyPassword(row.Hash, in.Password) {
			return errs.E(errs.Unauthenticated, "wrong email or password")
		}
		out, err = s.issue(ctx, tx, row.Member)
		return err
	})
	if errs.Is(err, errs.Unauthenticated) {
		_ = s.Throttle.Fail(ctx, keys...)
	} else if err == nil {
		s.Throttle.Reset(ctx, keys[0].Key)
	}
	return out, err
}

func (s *Service) issue(ctx context.Context, tx *db.Tx, m Member) (Auth, error) {
	if m.Status != "active" {
		return Auth{}, errs.E(errs.Forbidden, "this account is disabled; contact the shop")
	}
	token, hash := identity.NewToken(identity.MemberTokenPrefix)
	exp := time.Now().Add(s.TokenTTL).UTC().Truncate(time.Second)
	if _, err := tx.ExecContext(ctx, `INSERT INTO member_sessions (tenant_id, token_hash, member_id, expires_at) VALUES ($1, $2, $3, $4)`, tenancy.ID(ctx), hash, m.ID, exp); err != nil {
		return Auth{}, fmt.Errorf("member session: %w", err)
	}
	return Auth{Member: m, Token: token, Expires: exp, Session: identity.Session{Token: token, ExpiresAt: exp}}, nil
}

// Authenticate resolves a member token in the current tenant. A token of
// another tenant is not found (RLS), which is what makes it useless there.
//
// Every shop request authenticates, so a valid session is cached on the
// replica (core/db Cache, topic "sessions"): a revocation, a deleted
// session or a disabled member is announced by the triggers of migration
// 00081 and drops the shop's cached sessions on every replica; expiry is
// checked on every use.
func (s *Service) Authenticate(ctx context.Context, token string) (identity.Actor, error) {
	if !identity.HasPrefix(token, identity.MemberTokenPrefix) {
		return identity.Actor{}, errs.E(errs.Unauthenticated, "invalid token")
	}
	row, err := s.sessionCache().Get(string(tenancy.ID(ctx)), string(identity.HashToken(token)), func() (session, db.Dirty, error) {
		var row session
		err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
			return tx.GetContext(ctx, &row, `
SELECT s.member_id, s.expires_at, s.revoked_at, m.status, `+db.DirtyColumn(sessionsTopic)+` AS dirty
FROM member_sessions s JOIN members m ON m.tenant_id = s.tenant_id AND m.id = s.member_id
WHERE s.tenant_id = $1 AND s.token_hash = $2`, tenancy.ID(ctx), identity.HashToken(token))
		})
		if err == nil && (row.RevokedAt != nil || row.Status != "active") {
			err = sql.ErrNoRows // not kept: only live sessions are cached
		}
		return row, db.Dirty(row.Dirty), err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return identity.Actor{}, errs.E(errs.Unauthenticated, "invalid or revoked token")
	}
	if err != nil {
		return identity.Actor{}, fmt.Errorf("member authenticate: %w", err)
	}
	if !row.ExpiresAt.After(time.Now()) {
		return identity.Actor{}, errs.E(errs.TokenExpired, "the token has expired; log in again")
	}
	return identity.Actor{Kind: "member", MemberID: row.MemberID, Expires: row.ExpiresAt}, nil
}

// sessionsTopic is the change topic of member sessions (migration 00081).
const sessionsTopic = "sessions"

type session struct {
	MemberID  identity.MemberID `db:"member_id"`
	ExpiresAt time.Time         `db:"expires_at"`
	RevokedAt *time.Time        `db:"revoked_at"`
	Status    string            `db:"status"`
	Dirty     bool              `db:"dirty"`
}

// sessionCache keeps up to 100,000 live sessions for a minute at most.
func (s *Service) sessionCache() *db.Cache[session] {
	s.sessionsOnce.Do(func() { s.sessions = db.NewCache[session](s.DB.Changes, sessionsTopic, time.Minute, 100_000) })
	return s.sessions
}

// sessionsChanged tells this replica's cache at once, after a commit that
// revoked sessions or disabled a member (the others hear it from
// PostgreSQL a moment later).
func (s *Service) sessionsChanged(ctx context.Context) {
	s.DB.Changes.Announce(sessionsTopic + ":" + string(tenancy.ID(ctx)))
}

// Logout revokes a member token.
func (s *Service) Logout(ctx context.Context, token string) error {
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE member_sessions SET revoked_at = now() WHERE tenant_id = $1 AND token_hash = $2 AND revoked_at IS NULL`, tenancy.ID(ctx), identity.HashToken(token))
		return err
	})
	s.sessionsChanged(ctx)
	return err
}

// Get returns a member of the current tenant.
func (s *Service) Get(ctx context.Context, id identity.MemberID) (Member, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Member{}, errs.E(errs.NotFound, "member not found")
	}
	var m Member
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.GetContext(ctx, &m, `SELECT `+memberCols+` FROM members WHERE tenant_id = $1 AND id = $2`, tenancy.ID(ctx), id)
	})
	return m, db.NotFound(err, "member")
}
