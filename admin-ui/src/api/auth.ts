import { http } from './http'
import type { LoginResult, Me, Session, SignupRequest, SignupResult } from './types'

/** POST /signup — create a shop and its owner. */
export function signup(req: SignupRequest): Promise<SignupResult> {
  return http.post('/signup', req, { noAuthRedirect: true })
}

/** POST /auth/login */
export function login(email: string, password: string): Promise<LoginResult> {
  return http.post('/auth/login', { email, password }, { noAuthRedirect: true })
}

/** POST /auth/logout — revokes the current token (204). */
export function logout(): Promise<void> {
  return http.post('/auth/logout', undefined, { noAuthRedirect: true })
}

/** POST /auth/password — all other sessions are revoked; returns a fresh token. */
export function changePassword(current_password: string, new_password: string): Promise<Session> {
  // A 401 here most likely means "wrong current password", not "session over".
  return http.post('/auth/password', { current_password, new_password }, { noAuthRedirect: true })
}

/** POST /auth/accept-invite */
export function acceptInvite(token: string, name: string, password: string): Promise<LoginResult> {
  return http.post('/auth/accept-invite', { token, name, password }, { noAuthRedirect: true })
}

/** GET /auth/me */
export function me(): Promise<Me> {
  return http.get('/auth/me')
}
