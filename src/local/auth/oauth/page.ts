import type { IdentityProviderSettings } from '../../settings/oauth';
import type { PendingLogin } from './store';

const html = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const layout = (title: string, body: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
label{display:block;margin:.6rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}
button{margin:1rem .5rem 0 0;padding:.5rem 1rem}.note{color:#666;font-size:.85rem}</style></head>
<body>${body}</body></html>`;

/**
 * The local stand-in for the provider's sign-in page: a form, not a
 * redirect, so a page that sends a browser to the authorize endpoint still
 * needs the person at the keyboard to choose who signs in.
 */
export const providerPage = (
  provider: IdentityProviderSettings,
  login: string,
  pending: PendingLogin,
  suggestion: { sub: string; email: string; name: string },
): string =>
  layout(
    `Sign in with ${provider.name} (local)`,
    `<h1>Sign in with ${html(provider.name)}</h1>
<p class="note">Local stand-in for ${html(provider.type)}: no request leaves this machine. The app at
<strong>${html(new URL(pending.redirectUri).origin)}</strong> asks for: ${html(pending.scopes.join(', '))}.</p>
<form method="post" action="/oauth2/_local/provider" autocomplete="off">
<input type="hidden" name="login" value="${html(login)}">
<input type="hidden" name="csrf" value="${html(pending.csrf)}">
<label for="sub">User id at ${html(provider.name)} (sub)</label><input id="sub" name="sub" required value="${html(suggestion.sub)}">
<label for="email">Email</label><input id="email" name="email" type="email" value="${html(suggestion.email)}">
<label for="name">Name</label><input id="name" name="name" value="${html(suggestion.name)}">
<label><input type="checkbox" name="email_verified" value="true" style="width:auto"> The provider says the email is verified</label>
<button id="sign-in" type="submit" name="action" value="sign-in">Sign in</button>
<button id="cancel" type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form>`,
  );

/** Cognito's error page: where an authorize or logout request with no trusted way back ends. */
export const errorPage = (error: string, description: string): string =>
  layout(
    'Error',
    `<h1>An error was encountered with the requested page.</h1><p id="error">${html(error)}</p><p>${html(description)}</p>`,
  );
