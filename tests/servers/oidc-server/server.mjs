// A SMART App Launch authorization server for the sign-in tests, built on oidc-provider 8.x (the
// npm package, OpenID-certified; the exact version is in package-lock.json), in front of a FHIR server (sekmet) that accepts one static token.
//
//   node server.mjs CONFIG.json      (run by tests/servers/oidc.py; oidc-provider from .tools/oidc)
//
// On 127.0.0.1 and a free port; prints {"port": N} on one line when ready; exits when stdin closes
// (its parent has died or let go). Everything not under /fhir or /interaction is oidc-provider's own:
// /auth (authorization, PKCE S256 required of the public client), /token (authorization code,
// refresh token), /jwks, /.well-known/openid-configuration. Added here:
//
// - /interaction/<uid>: a login form (username, password: the users in CONFIG) and a consent form
//   (Allow / Deny), as plain HTML a browser or a test's form parser can complete.
// - /fhir/.well-known/smart-configuration: SMART discovery, from CONFIG's scopes and capabilities.
// - /fhir/metadata: sekmet's CapabilityStatement, public as FHIR servers make it.
// - /fhir/<anything else>: forwarded to sekmet only with a bearer access token this provider issued,
//   still valid, for this FHIR server; its Authorization replaced by sekmet's token, sekmet's base
//   address in the answer replaced by ours. 401 otherwise. GET and HEAD only (the scopes are read
//   scopes); which types and which patient a token may read is not checked further here (a test
//   server: the app's own sync chooses what it reads).
//
// State (sessions, codes, tokens) is in oidc-provider's in-memory adapter: gone when the server
// stops, as a test server's should be. Each start makes a new signing key and cookie key.
//
// CONFIG: {fhir_upstream, upstream_token, clients: [{client_id, redirect_uris}],
//          users: [{username, password, patient, fhir_user}], scopes: [resource scopes],
//          capabilities: [...], access_token_ttl: seconds, offline: false for no refresh tokens,
//          modules: path of node_modules}

import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { default: Provider, errors } = await import(
  pathToFileURL(`${config.modules}/oidc-provider/lib/index.js`).href);

// offline_access (refresh tokens) unless CONFIG says `offline: false`, as some servers are set up.
const OFFLINE = config.offline !== false;
const OIDC_SCOPES = ['openid', 'fhirUser', 'launch/patient', ...(OFFLINE ? ['offline_access'] : [])];
const GRANT_TYPES = ['authorization_code', ...(OFFLINE ? ['refresh_token'] : [])];
const ROUTES = { authorization: '/auth', token: '/token' };
const upstream = config.fhir_upstream.replace(/\/$/, '');
const users = new Map(config.users.map((user) => [user.username, user]));

const server = http.createServer();
await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;
const fhirBase = `${issuer}/fhir`;

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({
    client_id: client.client_id,
    redirect_uris: client.redirect_uris,
    token_endpoint_auth_method: 'none', // a public client: no secret, so PKCE is required (below)
    grant_types: GRANT_TYPES, // oidc-provider allows refresh_token only where offline_access is a scope
    response_types: ['code'],
  })),
  pkce: { methods: ['S256'], required: () => true }, // for every client, on every authorization request
  scopes: OIDC_SCOPES,
  claims: { openid: ['sub'], fhirUser: ['fhirUser'] },
  conformIdTokenClaims: false, // the id_token carries fhirUser (SMART), not only the userinfo answer
  extraParams: {
    // SMART: `aud` names the FHIR server the app means to read; any other is refused.
    aud(ctx, value) {
      if (value !== fhirBase) throw new errors.InvalidRequest(`aud must be ${fhirBase}`);
    },
  },
  features: {
    devInteractions: { enabled: false }, // our own login and consent pages, below
    userinfo: { enabled: false },
    resourceIndicators: {
      enabled: true,
      // The one resource server is the FHIR server: every access token is for it, with the
      // SMART resource scopes CONFIG lists (a requested scope it does not list is not granted).
      defaultResource: () => fhirBase,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, indicator) {
        if (indicator !== fhirBase) throw new errors.InvalidTarget();
        return { scope: config.scopes.join(' '), audience: fhirBase, accessTokenFormat: 'opaque',
          accessTokenTTL: config.access_token_ttl };
      },
    },
  },
  routes: ROUTES,
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  jwks: { keys: [signingKey] },
  ttl: { AccessToken: config.access_token_ttl },
  async findAccount(ctx, sub) {
    const user = users.get(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, fhirUser: user.fhir_user.includes('://') ? user.fhir_user : `${fhirBase}/${user.fhir_user}` };
      },
    };
  },
});

// The SMART launch context: oidc-provider has no option for extra token-response members, so this
// Koa middleware adds `patient` to a successful token answer (code or refresh) for the account the
// token was issued to, when its grant holds `launch/patient`.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== ROUTES.token || ctx.status !== 200 || !ctx.body?.access_token) return;
  const token = await provider.AccessToken.find(ctx.body.access_token);
  const grant = token && await provider.Grant.find(token.grantId);
  const user = grant && users.get(token.accountId);
  if (user && grant.getOIDCScope().split(' ').includes('launch/patient')) {
    ctx.body = { ...ctx.body, patient: user.patient };
  }
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, title, body) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`);
}

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return page(res, 400, 'Sign-in not found', '<p>Start the sign-in again.</p>');
  const action = `/interaction/${escape(uid)}`;
  if (req.method === 'GET' && details.prompt.name === 'login') {
    return page(res, 200, 'Sign in', `<form method="post" action="${action}">`
      + '<input type="hidden" name="step" value="login">'
      + '<p><label for="username">Username</label> <input id="username" name="username" autocomplete="username"></p>'
      + '<p><label for="password">Password</label> <input id="password" name="password" type="password"'
      + ' autocomplete="current-password"></p><p><button type="submit">Sign in</button></p></form>');
  }
  if (req.method === 'GET' && details.prompt.name === 'consent') {
    const scopes = details.params.scope.split(' ').map((s) => `<li><code>${escape(s)}</code></li>`).join('');
    return page(res, 200, 'Allow access?', `<p>${escape(details.params.client_id)} asks for:</p><ul>${scopes}</ul>`
      + `<form method="post" action="${action}"><input type="hidden" name="step" value="consent">`
      + '<button type="submit" name="decision" value="allow">Allow</button> '
      + '<button type="submit" name="decision" value="deny">Deny</button></form>');
  }
  if (req.method !== 'POST') return page(res, 405, 'Not allowed', '');
  const form = await formBody(req);
  if (form.get('step') === 'login' && details.prompt.name === 'login') {
    const user = users.get(form.get('username'));
    if (!user || form.get('password') !== user.password) {
      return page(res, 401, 'Sign in', '<p role="alert">That username and password do not match.</p>'
        + `<p><a href="${action}">Try again</a></p>`);
    }
    return provider.interactionFinished(req, res, { login: { accountId: user.username } },
      { mergeWithLastSubmission: false });
  }
  if (form.get('step') === 'consent' && details.prompt.name === 'consent') {
    if (form.get('decision') !== 'allow') {
      const denied = { error: 'access_denied', error_description: 'The person did not allow access.' };
      return provider.interactionFinished(req, res, denied, { mergeWithLastSubmission: false });
    }
    const missing = details.prompt.details;
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scope] of Object.entries(missing.missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scope.join(' '));
    }
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true });
  }
  return page(res, 400, 'Not expected', '<p>Start the sign-in again.</p>');
}

function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function smartConfiguration() {
  return {
    issuer,
    jwks_uri: `${issuer}/jwks`,
    authorization_endpoint: `${issuer}${ROUTES.authorization}`,
    token_endpoint: `${issuer}${ROUTES.token}`,
    grant_types_supported: GRANT_TYPES,
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: ['none'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: [...OIDC_SCOPES, ...config.scopes],
    capabilities: config.capabilities,
  };
}

// A token this provider issued, still valid, for this FHIR server, with a patient/ scope; else undefined.
async function issuedToken(req) {
  const match = /^Bearer ([^\s]+)$/.exec(req.headers.authorization || '');
  const token = match && await provider.AccessToken.find(match[1]);
  const reads = token && (token.scope || '').split(' ').some((scope) => scope.startsWith('patient/'));
  return reads && !token.isExpired && token.aud === fhirBase ? token : undefined;
}

// What a FHIR client says about the answer it wants (`Prefer: handling=strict` makes sekmet refuse a
// search parameter it does not support rather than ignore it); never its credentials.
const FORWARDED = ['accept', 'prefer', 'content-type', 'if-match', 'if-none-match', 'if-modified-since'];
const forwardedHeaders = (req) => Object.fromEntries(FORWARDED.filter((name) => req.headers[name])
  .map((name) => [name, req.headers[name]]));

async function forward(req, res, path) {
  const answer = await fetch(upstream + path, {
    method: req.method,
    headers: { ...forwardedHeaders(req), Authorization: `Bearer ${config.upstream_token}` },
    redirect: 'manual',
  });
  const body = (await answer.text()).replaceAll(upstream, fhirBase);
  res.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') || 'application/fhir+json' });
  res.end(body);
}

function outcome(res, status, code, diagnostics, headers = {}) {
  res.writeHead(status, { ...headers, 'Content-Type': 'application/fhir+json' });
  res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] }));
}

async function fhir(req, res, path) {
  if (!['GET', 'HEAD'].includes(req.method)) {
    return outcome(res, 405, 'not-supported', 'the scopes this server grants are read scopes');
  }
  if (path === '/.well-known/smart-configuration') return json(res, 200, smartConfiguration());
  if (path === '/metadata' || path.startsWith('/metadata?')) return forward(req, res, path);
  if (!await issuedToken(req)) {
    return outcome(res, 401, 'login', 'a valid access token from this server is needed',
      { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  }
  return forward(req, res, path);
}

// OpenID Connect Core section 11 lets a server grant offline_access without `prompt=consent` where
// "other conditions" permit it; oidc-provider 8.x (9.x wants Node 22) drops offline_access from any
// request without it, and SMART apps do not send it. Here consent is always asked (our page, every
// sign-in), so an authorization request for offline_access with no prompt is given prompt=consent.
function withConsentForOfflineAccess(pathname, search) {
  const params = new URLSearchParams(search);
  if (!params.has('prompt') && (params.get('scope') || '').split(' ').includes('offline_access')) {
    params.set('prompt', 'consent');
  }
  return `${pathname}?${params}`;
}

const providerCallback = provider.callback();
server.on('request', async (req, res) => {
  try {
    const { pathname, search } = new URL(req.url, issuer);
    const interactionMatch = /^\/interaction\/([^/]+)$/.exec(pathname);
    if (pathname === '/fhir' || pathname.startsWith('/fhir/')) {
      await fhir(req, res, pathname.slice('/fhir'.length) + search);
    } else if (interactionMatch) {
      await interaction(req, res, interactionMatch[1]);
    } else {
      if (pathname === ROUTES.authorization) req.url = withConsentForOfflineAccess(pathname, search);
      providerCallback(req, res);
    }
  } catch (error) {
    if (!res.headersSent) page(res, 500, 'Server error', `<p>${escape(error.message)}</p>`);
    else res.end();
  }
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
