-- +goose Up
-- Third-party login (OAuth2 / OIDC, WeChat-style) for members, configured per
-- shop. Owned by core/members.

CREATE TABLE oauth_providers (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  -- The {provider} path segment of the start/callback URLs.
  name          text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
  display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 64),
  -- 'oidc': standard OAuth2 / OpenID Connect (client_id, PKCE, bearer userinfo);
  -- 'wechat': WeChat's variant (appid/secret as query parameters, openid).
  style         text NOT NULL DEFAULT 'oidc' CHECK (style IN ('oidc', 'wechat')),
  issuer        text NOT NULL DEFAULT '',
  authorize_url text NOT NULL,
  token_url     text NOT NULL,
  userinfo_url  text NOT NULL,
  client_id     text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 256),
  client_secret text NOT NULL CHECK (length(client_secret) BETWEEN 1 AND 512),
  scopes        text[] NOT NULL DEFAULT '{}',
  subject_claim text NOT NULL DEFAULT 'sub',
  enabled       boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT oauth_providers_name_key UNIQUE (tenant_id, name)
);
SELECT banyan_tenant_table('oauth_providers');

-- A login in progress: the state sent to the provider (stored hashed, single
-- use, short-lived) with the PKCE verifier and the redirect URI it was sent with.
CREATE TABLE oauth_states (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  state_hash    bytea NOT NULL,
  provider_id   uuid NOT NULL,
  code_verifier text NOT NULL,
  redirect_uri  text NOT NULL,
  return_to     text NOT NULL DEFAULT '',
  expires_at    timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, state_hash),
  FOREIGN KEY (tenant_id, provider_id) REFERENCES oauth_providers (tenant_id, id) ON DELETE CASCADE
);
SELECT banyan_tenant_table('oauth_states');
CREATE INDEX oauth_states_expires_idx ON oauth_states (tenant_id, expires_at);

-- A member's identity at a provider: (provider, subject) names one member.
CREATE TABLE member_identities (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  provider_id uuid NOT NULL,
  subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
  member_id   uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, provider_id, subject),
  CONSTRAINT member_identities_provider_fkey FOREIGN KEY (tenant_id, provider_id) REFERENCES oauth_providers (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE CASCADE
);
SELECT banyan_tenant_table('member_identities');
CREATE INDEX member_identities_member_idx ON member_identities (tenant_id, member_id);

-- +goose Down
DROP TABLE IF EXISTS member_identities, oauth_states, oauth_providers CASCADE;
