// ltijs, a certified LTI 1.3 tool library, run as a tool that Lectern's test
// platform (internal/ltiplatform) launches: ltijs_test.go starts it and
// checks that ltijs accepts the platform's launches and deep-linking
// requests. Settings come from the environment; it prints READY when it
// listens.
"use strict";
const lti = require("ltijs").Provider;
const Database = require("ltijs-sequelize");

const env = (k) => {
  if (!process.env[k]) throw new Error("missing " + k);
  return process.env[k];
};

async function main() {
  const db = new Database(env("LTIJS_DB"), "postgres", "", {
    host: process.env.LTIJS_DB_HOST || "127.0.0.1", port: 5432, dialect: "postgres", logging: false,
  });
  lti.setup(env("LTIJS_KEY"), { plugin: db }, {
    appRoute: "/", loginRoute: "/login", keysetRoute: "/keys",
    cookies: { secure: false, sameSite: "Lax" },
    devMode: false, // the state and session cookies are checked
    tokenMaxAge: 60,
  });
  lti.onConnect((token, req, res) => {
    const ctx = res.locals.context || {};
    res.send("LTIJS-LAUNCH-OK user=" + token.user + " resource=" + ((ctx.resource || {}).id || "") +
      " context=" + ((ctx.context || {}).id || ""));
  });
  lti.onDeepLinking((token, req, res) => {
    const ctx = res.locals.context || {};
    res.send("LTIJS-DEEPLINK-OK user=" + token.user + " return=" + ((ctx.deepLinkingSettings || {}).deep_link_return_url || ""));
  });
  await lti.deploy({ port: Number(env("LTIJS_PORT")), silent: true });
  await lti.registerPlatform({
    url: env("PLATFORM_ISSUER"), name: "Lectern test platform", clientId: env("PLATFORM_CLIENT_ID"),
    authenticationEndpoint: env("PLATFORM_AUTH_URL"), accesstokenEndpoint: env("PLATFORM_TOKEN_URL"),
    authConfig: { method: "JWK_SET", key: env("PLATFORM_JWKS_URL") },
  });
  process.stdout.write("READY\n");
}

main().catch((err) => {
  process.stderr.write("ltijs tool: " + (err && err.stack || err) + "\n");
  process.exit(1);
});
