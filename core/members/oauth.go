package members

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"
	"golang.org/x/oauth2"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/secrets"
	"github.com/banyanmall/banyan/core/tenancy"
)

// ProviderID identifies a shop's third-party login provider.
type ProviderID string

// Provider styles.
const (
	// StyleOIDC is standard OAuth2 / OpenID Connect: client_id in the
	// authorization URL, PKCE (S256), the code exchanged at the token
	// endpoint, the user fetched from the userinfo endpoint with the bearer
	// access token.
	StyleOIDC = "oidc"
	// StyleWeChat is WeChat's variant (网页授权): appid/secret as query
	// parameters of GET requests, "#wechat_redirect", the openid (and
	// unionid) returned with the access token, userinfo by access_token +
	// openid.
	StyleWeChat = "wechat"
)

// Provider is a third-party login provider configured by the merchant. The
// client secret is stored but never answered: ClientSecretHint shows its
// last characters.
type Provider struct {
	ID               ProviderID     `db:"id" json:"id"`
	Name             string         `db:"name" json:"name"`
	DisplayName      string         `db:"display_name" json:"display_name"`
	Style            string         `db:"style" json:"style"`
	Issuer           string         `db:"issuer" json:"issuer"`
	AuthorizeURL     string         `db:"authorize_url" json:"authorize_url"`
	TokenURL         string         `db:"token_url" json:"token_url"`
	UserinfoURL      string         `db:"userinfo_url" json:"userinfo_url"`
	ClientID         string         `db:"client_id" json:"client_id"`
	ClientSecret     string         `db:"client_secret" json:"-"`
	ClientSecretHint string         `db:"-" json:"client_secret_hint"`
	Scopes           pq.StringArray `db:"scopes" json:"scopes"`
	SubjectClaim     string         `db:"subject_claim" json:"subject_claim"`
	Enabled          bool           `db:"enabled" json:"enabled"`
	CreatedAt        time.Time      `db:"created_at" json:"created_at"`
	UpdatedAt        time.Time      `db:"updated_at" json:"updated_at"`
	// unreadable: the stored secret does not open (another key, or copied
	// from elsewhere); staff must enter it again.
	unreadable bool
}

func (p *Provider) hint() {
	if p.unreadable {
		p.ClientSecretHint = "unreadable: enter the client secret again"
		return
	}
	p.ClientSecretHint = "****"
	if n := len(p.ClientSecret); n >= 12 {
		p.ClientSecretHint += p.ClientSecret[n-4:]
	}
}

// ProviderInput creates a provider or changes the fields sent. With an
// OIDC issuer and no endpoint URLs, the URLs are discovered from the
// issuer's /.well-known/openid-configuration.
type ProviderInput struct {
	Name         *string   `json:"name"`
	DisplayName  *string   `json:"display_name"`
	Style        *string   `json:"style"`
	Issuer       *string   `json:"issuer"`
	AuthorizeURL *string   `json:"authorize_url"`
	TokenURL     *string   `json:"token_url"`
	UserinfoURL  *string   `json:"userinfo_url"`
	ClientID     *string   `json:"client_id"`
	ClientSecret *string   `json:"client_secret"`
	Scopes       *[]string `json:"scopes"`
	SubjectClaim *string   `json:"subject_claim"`
	Enabled      *bool     `json:"enabled"`
}

// redacted is the input as the audit log keeps it: never the secret.
func (in ProviderInput) redacted() ProviderInput {
	if in.ClientSecret != nil {
		s := "(changed)"
		in.ClientSecret = &s
	}
	return in
}

var (
	providerNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	scopeRe        = regexp.MustCompile(`^[\x21-\x7e]{1,64}$`)
	claimRe        = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
)

// checkEndpoint accepts an absolute https URL, or http on a loopback host
// (development and tests).
func checkEndpoint(v *errs.Validator, field, raw string) {
	u, err := url.Parse(raw)
	ok := err == nil && u.Host != "" && u.Fragment == "" && len(raw) <= 1024 &&
		(u.Scheme == "https" || (u.Scheme == "http" && isLoopbackHost(u.Hostname())))
	v.Check(ok, field, "invalid_url", "an absolute https:// URL")
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (in *ProviderInput) validate(p *Provider) error {
	v := errs.Validator{}
	trim := func(s *string) {
		if s != nil {
			*s = strings.TrimSpace(*s)
		}
	}
	for _, s := range []*string{in.Name, in.DisplayName, in.Style, in.Issuer, in.AuthorizeURL, in.TokenURL, in.UserinfoURL, in.ClientID, in.SubjectClaim} {
		trim(s)
	}
	if in.Name != nil {
		v.Check(providerNameRe.MatchString(*in.Name), "name", "invalid", "1–32 of a-z, 0-9, '-' and '_' (it names the provider in the login URLs)")
		p.Name = *in.Name
	}
	if in.DisplayName != nil {
		v.Check(*in.DisplayName != "" && utf8.RuneCountInString(*in.DisplayName) <= 64, "display_name", "invalid", "1–64 characters")
		p.DisplayName = *in.DisplayName
	}
	if in.Style != nil {
		v.Check(*in.Style == StyleOIDC || *in.Style == StyleWeChat, "style", "invalid", `"oidc" (standard OAuth2/OpenID Connect) or "wechat"`)
		p.Style = *in.Style
	}
	if in.Issuer != nil {
		if *in.Issuer != "" {
			checkEndpoint(&v, "issuer", *in.Issuer)
		}
		p.Issuer = *in.Issuer
	}
	for _, e := range []struct {
		in    *string
		field string
		dst   *string
	}{{in.AuthorizeURL, "authorize_url", &p.AuthorizeURL}, {in.TokenURL, "token_url", &p.TokenURL}, {in.UserinfoURL, "userinfo_url", &p.UserinfoURL}} {
		if e.in != nil {
			if *e.in != "" {
				checkEndpoint(&v, e.field, *e.in)
			}
			*e.dst = *e.in
		}
	}
	if in.ClientID != nil {
		v.Check(*in.ClientID != "" && len(*in.ClientID) <= 256, "client_id", "invalid", "1–256 characters")
		p.ClientID = *in.ClientID
	}
	if in.ClientSecret != nil {
		v.Check(*in.ClientSecret != "" && len(*in.ClientSecret) <= 512, "client_secret", "invalid", "1–512 characters")
		p.ClientSecret = *in.ClientSecret
	}
	if in.Scopes != nil {
		ok := len(*in.Scopes) <= 20
		for _, s := range *in.Scopes {
			ok = ok && scopeRe.MatchString(s)
		}
		v.Check(ok, "scopes", "invalid", "at most 20 scopes, each 1–64 printable characters without spaces")
		p.Scopes = *in.Scopes
	}
	if in.SubjectClaim != nil {
		v.Check(claimRe.MatchString(*in.SubjectClaim), "subject_claim", "invalid", `the userinfo field that identifies the user, e.g. "sub", "openid" or "unionid"`)
		p.SubjectClaim = *in.SubjectClaim
	}
	if in.Enabled != nil {
		p.Enabled = *in.Enabled
	}
	return v.Err()
}

// complete checks that p, after defaults and discovery, can be used.
func (p *Provider) complete() error {
	v := errs.Validator{}
	v.Check(p.Name != "", "name", "required", "name is required")
	v.Check(p.DisplayName != "", "display_name", "required", "display_name is required")
	v.Check(p.ClientID != "", "client_id", "required", "client_id is required")
	v.Check(p.ClientSecret != "", "client_secret", "required", "client_secret is required")
	v.Check(p.AuthorizeURL != "", "authorize_url", "required", "authorize_url is required (or an OIDC issuer to discover it)")
	v.Check(p.TokenURL != "", "token_url", "required", "token_url is required (or an OIDC issuer to discover it)")
	v.Check(p.UserinfoURL != "", "userinfo_url", "required", "userinfo_url is required (or an OIDC issuer to discover it)")
	return v.Err()
}

func (s *Service) client() *http.Client {
	if s.HTTPClient != nil {
		return s.HTTPClient
	}
	return defaultOAuthClient
}

var defaultOAuthClient = OAuthHTTPClient(false)

// OAuthHTTPClient is the client that calls providers, with short timeouts.
// Unless allowPrivate, it refuses to connect to loopback, private and
// link-local addresses: the URLs are set by merchants, and must not reach
// into the platform's own network.
func OAuthHTTPClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() {
			return fmt.Errorf("refusing to connect to the non-public address %s", host)
		}
		return nil
	}}
	return &http.Client{
		Timeout: 15 * time.Second,
		Transport: &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: 5 * time.Second,
			ResponseHeaderTimeout: 10 * time.Second, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// getJSON fetches a JSON object (at most 1 MiB).
func (s *Service) getJSON(ctx context.Context, req *http.Request) (map[string]any, error) {
	res, err := s.client().Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d", req.URL.Host, res.StatusCode)
	}
	dec := json.NewDecoder(io.LimitReader(res.Body, 1<<20))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%s answered invalid JSON: %w", req.URL.Host, err)
	}
	return out, nil
}

// discover fills the endpoint URLs of an OIDC provider from its issuer.
func (s *Service) discover(ctx context.Context, p *Provider) error {
	if p.Style != StyleOIDC || p.Issuer == "" || (p.AuthorizeURL != "" && p.TokenURL != "" && p.UserinfoURL != "") {
		return nil
	}
	req, err := http.NewRequest("GET", strings.TrimSuffix(p.Issuer, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return errs.Field("issuer", "invalid_url", "an absolute https:// URL")
	}
	doc, err := s.getJSON(ctx, req)
	if err != nil {
		return errs.Field("issuer", "discovery_failed", "could not read the issuer's OpenID configuration: "+err.Error())
	}
	if iss, _ := doc["issuer"].(string); strings.TrimSuffix(iss, "/") != strings.TrimSuffix(p.Issuer, "/") {
		return errs.Field("issuer", "discovery_failed", "the OpenID configuration names another issuer")
	}
	v := errs.Validator{}
	fill := func(dst *string, key, field string) {
		if *dst == "" {
			*dst, _ = doc[key].(string)
			checkEndpoint(&v, field, *dst)
		}
	}
	fill(&p.AuthorizeURL, "authorization_endpoint", "authorize_url")
	fill(&p.TokenURL, "token_endpoint", "token_url")
	fill(&p.UserinfoURL, "userinfo_endpoint", "userinfo_url")
	return v.Err()
}

// secretPlace binds a sealed client secret to its column and shop: a value
// copied into another shop's row does not open.
func secretPlace(ctx context.Context) string {
	return "oauth_providers.client_secret:" + string(tenancy.ID(ctx))
}

// sealSecret answers the client secret as stored.
func (s *Service) sealSecret(ctx context.Context, plain string) (string, error) {
	if s.Secrets == nil {
		return "", errors.New("members: no secret box to seal a client secret with")
	}
	return s.Secrets.Seal(secretPlace(ctx), plain)
}

// openSecret replaces p's stored client secret with the secret. One that
// does not open (the key changed, or it was copied from another shop) is
// left empty and marked unreadable: staff see so in the list and enter it
// again; logging in with that provider fails until they do.
func (s *Service) openSecret(ctx context.Context, p *Provider) {
	if !secrets.IsSealed(p.ClientSecret) {
		return // stored before sealing: sealed when next written
	}
	plain, err := "", secrets.ErrOpen
	if s.Secrets != nil {
		plain, err = s.Secrets.Open(secretPlace(ctx), p.ClientSecret)
	}
	p.ClientSecret, p.unreadable = plain, err != nil
}

const providerCols = `id, name, display_name, style, issuer, authorize_url, token_url, userinfo_url, client_id, client_secret, scopes, subject_claim, enabled, created_at, updated_at`

func providerWriteError(err error) error {
	if db.IsUnique(err, "oauth_providers_name_key") {
		return errs.Field("name", "taken", "another provider has this name")
	}
	return err
}

// ListProviders returns the shop's login providers.
func (s *Service) ListProviders(ctx context.Context) ([]Provider, error) {
	out := []Provider{}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+providerCols+` FROM oauth_providers WHERE tenant_id = $1 ORDER BY name`, tenancy.ID(ctx))
	})
	for i := range out {
		s.openSecret(ctx, &out[i])
		out[i].hint()
	}
	return out, err
}

// LoginProvider is what the storefront shows on a login button.
type LoginProvider struct {
	Name        string `db:"name" json:"name"`
	DisplayName string `db:"display_name" json:"display_name"`
	Style       string `db:"style" json:"style"`
}

// LoginProviders returns the shop's enabled providers.
func (s *Service) LoginProviders(ctx context.Context) ([]LoginProvider, error) {
	out := []LoginProvider{}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT name, display_name, style FROM oauth_providers WHERE tenant_id = $1 AND enabled ORDER BY display_name`, tenancy.ID(ctx))
	})
	return out, err
}

// CreateProvider adds a login provider.
func (s *Service) CreateProvider(ctx context.Context, in ProviderInput) (Provider, error) {
	p := Provider{Style: StyleOIDC, Enabled: true}
	if err := in.validate(&p); err != nil {
		return Provider{}, err
	}
	if in.Scopes == nil {
		p.Scopes = []string{"openid", "profile", "email"}
		if p.Style == StyleWeChat {
			p.Scopes = []string{"snsapi_userinfo"}
		}
	}
	if in.SubjectClaim == nil {
		p.SubjectClaim = "sub"
		if p.Style == StyleWeChat {
			p.SubjectClaim = "openid"
		}
	}
	if err := s.discover(ctx, &p); err != nil {
		return Provider{}, err
	}
	if err := p.complete(); err != nil {
		return Provider{}, err
	}
	sealed, err := s.sealSecret(ctx, p.ClientSecret)
	if err != nil {
		return Provider{}, err
	}
	var out Provider
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		err := tx.GetContext(ctx, &out, `
INSERT INTO oauth_providers (tenant_id, name, display_name, style, issuer, authorize_url, token_url, userinfo_url, client_id, client_secret, scopes, subject_claim, enabled)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING `+providerCols,
			tid, p.Name, p.DisplayName, p.Style, p.Issuer, p.AuthorizeURL, p.TokenURL, p.UserinfoURL, p.ClientID, sealed, p.Scopes, p.SubjectClaim, p.Enabled)
		if err != nil {
			return fmt.Errorf("create provider: %w", providerWriteError(err))
		}
		out.ClientSecret = p.ClientSecret
		return audit.Record(ctx, tx, tid, "oauth_provider.create", "oauth_provider", string(out.ID), in.redacted())
	})
	out.hint()
	return out, err
}

// UpdateProvider changes a login provider. Renaming it changes its login
// URLs (the redirect URI registered at the provider must follow).
func (s *Service) UpdateProvider(ctx context.Context, id ProviderID, in ProviderInput) (Provider, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Provider{}, errs.E(errs.NotFound, "provider not found")
	}
	var p Provider
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		if err := tx.GetContext(ctx, &p, `SELECT `+providerCols+` FROM oauth_providers WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tid, id); err != nil {
			return db.NotFound(err, "provider")
		}
		// An unreadable secret reads as none: the change must bring one
		// (client_secret is then required).
		s.openSecret(ctx, &p)
		if err := in.validate(&p); err != nil {
			return err
		}
		p.unreadable = p.unreadable && in.ClientSecret == nil
		if err := p.complete(); err != nil {
			return err
		}
		sealed, err := s.sealSecret(ctx, p.ClientSecret)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
UPDATE oauth_providers SET name = $3, display_name = $4, style = $5, issuer = $6, authorize_url = $7, token_url = $8, userinfo_url = $9,
  client_id = $10, client_secret = $11, scopes = $12, subject_claim = $13, enabled = $14, updated_at = now()
WHERE tenant_id = $1 AND id = $2`,
			tid, id, p.Name, p.DisplayName, p.Style, p.Issuer, p.AuthorizeURL, p.TokenURL, p.UserinfoURL, p.ClientID, sealed, p.Scopes, p.SubjectClaim, p.Enabled)
		if err != nil {
			return fmt.Errorf("update provider: %w", providerWriteError(err))
		}
		return audit.Record(ctx, tx, tid, "oauth_provider.update", "oauth_provider", string(id), in.redacted())
	})
	p.hint()
	return p, err
}

// DeleteProvider removes a provider nobody has logged in with yet; one that
// members use can only be disabled, or they would be locked out.
func (s *Service) DeleteProvider(ctx context.Context, id ProviderID) error {
	if !tenancy.ValidUUID(string(id)) {
		return errs.E(errs.NotFound, "provider not found")
	}
	return s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		res, err := tx.ExecContext(ctx, `DELETE FROM oauth_providers WHERE tenant_id = $1 AND id = $2`, tid, id)
		if _, name, ok := db.Constraint(err); ok && name == "member_identities_provider_fkey" {
			return errs.E(errs.Conflict, "members log in with this provider; disable it instead (PATCH enabled=false)")
		}
		if err != nil {
			return fmt.Errorf("delete provider: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "provider not found")
		}
		return audit.Record(ctx, tx, tid, "oauth_provider.delete", "oauth_provider", string(id), nil)
	})
}

// ---------------------------------------------------------------- login flow

const oauthStateTTL = 10 * time.Minute

func (s *Service) enabledProvider(ctx context.Context, tx *db.Tx, name string) (Provider, error) {
	var p Provider
	if !providerNameRe.MatchString(name) {
		return p, errs.E(errs.NotFound, "login provider not found")
	}
	err := tx.GetContext(ctx, &p, `SELECT `+providerCols+` FROM oauth_providers WHERE tenant_id = $1 AND name = $2 AND enabled`, tenancy.ID(ctx), name)
	if err != nil {
		return p, db.NotFound(err, "login provider")
	}
	if s.openSecret(ctx, &p); p.unreadable {
		return p, fmt.Errorf("login provider %s: its client secret does not open with this server's key (BANYAN_SECRET_KEY); staff must enter it again", p.Name)
	}
	return p, nil
}

func stateHash(state string) []byte {
	h := sha256.Sum256([]byte(state))
	return h[:]
}

// checkReturnTo accepts a path on the shop's own host only, so the login can
// never send a token to another site.
func checkReturnTo(s string) error {
	if s == "" {
		return nil
	}
	ok := len(s) <= 512 && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && !strings.HasPrefix(s, `/\`) && !strings.ContainsAny(s, "\r\n\t#")
	if !ok {
		return errs.Field("return_to", "invalid", "a path on this shop, like /account")
	}
	return nil
}

// OAuthStart is where to send the browser, and the value the browser must
// keep (in a cookie) and bring back to the callback.
type OAuthStart struct {
	URL     string
	Binding string
}

// StartOAuth begins a login with the named provider: it stores a
// single-use, short-lived state with a PKCE verifier and the hash of a
// browser binding, and returns the URL to send the browser to. redirectURI
// is this shop's callback URL; returnTo (optional) is the storefront path to
// come back to.
func (s *Service) StartOAuth(ctx context.Context, provider, redirectURI, returnTo string) (OAuthStart, error) {
	if err := checkReturnTo(returnTo); err != nil {
		return OAuthStart{}, err
	}
	state, binding := randomString(), randomString()
	verifier := oauth2.GenerateVerifier()
	var p Provider
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		if p, err = s.enabledProvider(ctx, tx, provider); err != nil {
			return err
		}
		tid := tenancy.ID(ctx)
		if _, err := tx.ExecContext(ctx, `DELETE FROM oauth_states WHERE tenant_id = $1 AND expires_at < now()`, tid); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
INSERT INTO oauth_states (tenant_id, state_hash, provider_id, code_verifier, redirect_uri, return_to, browser_hash, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))`,
			tid, stateHash(state), p.ID, verifier, redirectURI, returnTo, stateHash(binding), oauthStateTTL.Seconds())
		return err
	})
	if err != nil {
		return OAuthStart{}, err
	}
	if p.Style == StyleWeChat {
		q := url.Values{"appid": {p.ClientID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
			"scope": {strings.Join(p.Scopes, ",")}, "state": {state}}
		return OAuthStart{URL: withQuery(p.AuthorizeURL, q) + "#wechat_redirect", Binding: binding}, nil
	}
	return OAuthStart{URL: oauthConfig(p, redirectURI).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), Binding: binding}, nil
}

func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func withQuery(base string, q url.Values) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}

func oauthConfig(p Provider, redirectURI string) *oauth2.Config {
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: redirectURI, Scopes: p.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthorizeURL, TokenURL: p.TokenURL}}
}

// OAuthCallback is what the provider sent back to the callback URL, with
// the binding the browser kept since StartOAuth.
type OAuthCallback struct {
	State            string
	Code             string
	Error            string
	ErrorDescription string
	Binding          string
}

// OAuthResult is a member logged in through a provider.
type OAuthResult struct {
	Auth
	Created  bool   `json:"created"` // a new member was registered
	ReturnTo string `json:"return_to"`
}

type oauthUser struct {
	Subject, Name, AvatarURL, Email string
}

// FinishOAuth completes a login: it burns the state (whatever happens next,
// a state works once), exchanges the code with the PKCE verifier, fetches
// the user, and logs in the member linked to that identity — registering a
// new member on first login.
func (s *Service) FinishOAuth(ctx context.Context, provider string, cb OAuthCallback) (OAuthResult, error) {
	if cb.State == "" {
		return OAuthResult{}, errs.Field("state", "required", "the state parameter is missing; start the login again")
	}
	badState := errs.Field("state", "invalid_state", "this login link is invalid, already used or expired; start the login again")
	var st struct {
		ProviderID  ProviderID `db:"provider_id"`
		Verifier    string     `db:"code_verifier"`
		RedirectURI string     `db:"redirect_uri"`
		ReturnTo    string     `db:"return_to"`
		Expired     bool       `db:"expired"`
		Browser     []byte     `db:"browser_hash"`
	}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.GetContext(ctx, &st, `DELETE FROM oauth_states WHERE tenant_id = $1 AND state_hash = $2
RETURNING provider_id, code_verifier, redirect_uri, return_to, browser_hash, expires_at < now() AS expired`, tenancy.ID(ctx), stateHash(cb.State))
	})
	if errors.Is(err, sql.ErrNoRows) {
		return OAuthResult{}, badState
	}
	if err != nil {
		return OAuthResult{}, err
	}
	var p Provider
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		p, err = s.enabledProvider(ctx, tx, provider)
		return err
	})
	switch {
	case err != nil:
		return OAuthResult{}, err
	case st.Expired || st.ProviderID != p.ID || !bytes.Equal(st.Browser, stateHash(cb.Binding)):
		return OAuthResult{}, badState
	case cb.Error != "":
		return OAuthResult{}, errs.E(errs.Unauthenticated, "the provider did not sign you in: %s %s", cb.Error, cb.ErrorDescription)
	case cb.Code == "":
		return OAuthResult{}, errs.Field("code", "required", "the code parameter is missing; start the login again")
	}
	u, err := s.fetchUser(ctx, p, cb.Code, st.Verifier, st.RedirectURI)
	if err != nil {
		return OAuthResult{}, err
	}
	res, err := s.loginIdentity(ctx, p, u)
	res.ReturnTo = st.ReturnTo
	return res, err
}

func (s *Service) fetchUser(ctx context.Context, p Provider, code, verifier, redirectURI string) (oauthUser, error) {
	refused := func(err error) error {
		return &errs.Error{Code: errs.Unauthenticated, Message: "the provider refused the login code; start the login again",
			Fields: []errs.FieldError{{Field: "code", Code: "rejected", Message: "the provider did not accept this code (used, expired or wrong)"}}, Err: err}
	}
	unreachable := func(err error) error {
		return &errs.Error{Code: errs.Unauthenticated, Message: "could not fetch your profile from the provider; try again", Err: err}
	}
	var claims map[string]any
	if p.Style == StyleWeChat {
		req, _ := http.NewRequest("GET", withQuery(p.TokenURL, url.Values{"appid": {p.ClientID}, "secret": {p.ClientSecret}, "code": {code},
			"grant_type": {"authorization_code"}}), nil)
		tok, err := s.getJSON(ctx, req)
		if err != nil {
			return oauthUser{}, refused(err)
		}
		access, _ := tok["access_token"].(string)
		openid, _ := tok["openid"].(string)
		if access == "" || openid == "" {
			return oauthUser{}, refused(fmt.Errorf("wechat token: errcode %v %v", tok["errcode"], tok["errmsg"]))
		}
		req, _ = http.NewRequest("GET", withQuery(p.UserinfoURL, url.Values{"access_token": {access}, "openid": {openid}, "lang": {"zh_CN"}}), nil)
		if claims, err = s.getJSON(ctx, req); err != nil || claims["errcode"] != nil {
			// snsapi_base grants no profile: the token's ids are enough.
			claims = map[string]any{}
		}
		for _, k := range []string{"openid", "unionid"} {
			if _, ok := claims[k]; !ok && tok[k] != nil {
				claims[k] = tok[k]
			}
		}
	} else {
		octx := context.WithValue(ctx, oauth2.HTTPClient, s.client())
		tok, err := oauthConfig(p, redirectURI).Exchange(octx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			return oauthUser{}, refused(err)
		}
		req, _ := http.NewRequest("GET", p.UserinfoURL, nil)
		tok.SetAuthHeader(req)
		if claims, err = s.getJSON(ctx, req); err != nil {
			return oauthUser{}, unreachable(err)
		}
	}
	u := oauthUser{Subject: claimString(claims, p.SubjectClaim)}
	if u.Subject == "" && p.Style == StyleWeChat {
		u.Subject = claimString(claims, "openid")
	}
	if u.Subject == "" || len(u.Subject) > 255 {
		return oauthUser{}, unreachable(fmt.Errorf("userinfo has no usable %q", p.SubjectClaim))
	}
	u.Name = firstClaim(claims, "name", "nickname")
	if r := []rune(u.Name); len(r) > 64 {
		u.Name = string(r[:64])
	}
	if a := firstClaim(claims, "picture", "headimgurl"); avatarRe.MatchString(a) && len(a) <= 1024 {
		u.AvatarURL = a
	}
	if verified := claims["email_verified"]; verified == true || verified == "true" {
		if e, err := identity.NormalizeEmail("email", claimString(claims, "email")); err == nil {
			u.Email = e
		}
	}
	return u, nil
}

func claimString(c map[string]any, k string) string {
	switch v := c[k].(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	}
	return ""
}

func firstClaim(c map[string]any, keys ...string) string {
	for _, k := range keys {
		if v := claimString(c, k); v != "" {
			return v
		}
	}
	return ""
}

// loginIdentity logs in the member linked to (provider, subject), creating
// the member and the link on first login. Members are linked by identity
// only, never by a matching email: a provider that asserts someone else's
// address must not open their account. The email is kept on a new member
// when the provider verified it and no member has it yet.
func (s *Service) loginIdentity(ctx context.Context, p Provider, u oauthUser) (OAuthResult, error) {
	var out OAuthResult
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		// Two first logins of the same identity at once create one member.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, string(tid)+"|oauth|"+string(p.ID)+"|"+u.Subject); err != nil {
			return err
		}
		var m Member
		err := tx.GetContext(ctx, &m, `SELECT `+memberCols+` FROM members WHERE tenant_id = $1 AND id = (
  SELECT member_id FROM member_identities WHERE tenant_id = $1 AND provider_id = $2 AND subject = $3)`, tid, p.ID, u.Subject)
		if err == nil {
			out.Auth, err = s.issue(ctx, tx, m)
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if u.Email != "" {
			var taken bool
			if err := tx.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM members WHERE tenant_id = $1 AND email = $2)`, tid, u.Email); err != nil {
				return err
			}
			if taken {
				u.Email = ""
			}
		}
		if err := tx.GetContext(ctx, &m, `INSERT INTO members (tenant_id, email, name, avatar_url) VALUES ($1, $2, $3, $4) RETURNING `+memberCols,
			tid, nullStr(u.Email), u.Name, u.AvatarURL); err != nil {
			return fmt.Errorf("oauth register: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO member_identities (tenant_id, provider_id, subject, member_id) VALUES ($1, $2, $3, $4)`,
			tid, p.ID, u.Subject, m.ID); err != nil {
			return fmt.Errorf("oauth link: %w", err)
		}
		if m, err = s.registered(ctx, tx, m); err != nil {
			return err
		}
		out.Created = true
		out.Auth, err = s.issue(ctx, tx, m)
		return err
	})
	return out, err
}
