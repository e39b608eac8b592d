/**
 * The admin token of this tab: typed into the login form, kept in sessionStorage (gone with the tab)
 * and sent as `Authorization: Bearer`. It never goes into a URL.
 */
const KEY = 'audience-relay.admin-token';

export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return memory;
  }
}

let memory: string | undefined;

export function storeToken(token: string | undefined): void {
  memory = token;
  try {
    if (token === undefined) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // Storage refused (private mode): the token lives in memory until the page reloads.
  }
}
