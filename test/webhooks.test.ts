import { describe, expect, it } from "vitest";
import { fixtureAdmin, userWithPermissions } from "./access-fixtures";
import { signedIn } from "./factories";
import { body, clientAt, env, expectError, manualClock, send } from "./helpers";
import { receiverUrl, WEBHOOKS } from "./webhook-helpers";

const { token: admin } = await fixtureAdmin();

describe("webhook endpoints", () => {
  it("creates an endpoint and returns its whsec_ secret once; lists and gets never show it, and it is stored sealed", async () => {
    const { url } = receiverUrl("ok");
    const res = await send("POST", WEBHOOKS, { url, events: ["user.registered"], description: "CRM" }, admin);
    expect(res.status).toBe(201);
    const { webhook, secret } = await body(res);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(webhook).toMatchObject({
      url,
      events: ["user.registered"],
      description: "CRM",
      active: true,
      disabled_reason: null,
    });
    const got = await send("GET", `${WEBHOOKS}/${webhook.id}`, undefined, admin);
    const listed = await send("GET", `${WEBHOOKS}?limit=1000`, undefined, admin);
    for (const text of [await got.text(), await listed.text()]) {
      expect(text).toContain(url);
      expect(text).not.toContain(secret.slice(6));
      expect(text).not.toContain('"secret"');
    }
    const row = await env.DB.prepare("SELECT secret FROM webhook_endpoints WHERE id = ?1")
      .bind(webhook.id)
      .first<{ secret: string }>();
    expect(row?.secret).toMatch(/^v1\./);
    expect(row?.secret).not.toContain(secret.slice(6));
  });

  it("lists the event catalog and refuses events outside it with 422", async () => {
    const types = await body(await send("GET", `${WEBHOOKS}/event-types`, undefined, admin));
    expect(types.event_types.map((t: { name: string }) => t.name)).toEqual([
      "user.registered",
      "user.updated",
      "user.deactivated",
      "training.created",
      "training.updated",
      "training.deleted",
      "registration.created",
      "registration.cancelled",
      "registration.completed",
      "progress.updated",
      "report.generated",
    ]);
    const { url } = receiverUrl("ok");
    await expectError(await send("POST", WEBHOOKS, { url, events: ["user.exploded"] }, admin), 422, "VALIDATION_ERROR");
    await expectError(await send("POST", WEBHOOKS, { url, events: [] }, admin), 422, "VALIDATION_ERROR");
  });

  it("updates with PATCH and PUT, reactivation clears disabled_reason, and deletes (404 afterwards)", async () => {
    const { url } = receiverUrl("ok");
    const { webhook } = await body(
      await send("POST", WEBHOOKS, { url, events: ["user.updated"], description: "old" }, admin),
    );
    const patched = await body(await send("PATCH", `${WEBHOOKS}/${webhook.id}`, { active: false }, admin));
    expect(patched.webhook).toMatchObject({ active: false, events: ["user.updated"] });
    await env.DB.prepare("UPDATE webhook_endpoints SET disabled_reason = 'x' WHERE id = ?1").bind(webhook.id).run();
    const put = await send("PUT", `${WEBHOOKS}/${webhook.id}`, { url, events: ["training.created"] }, admin);
    expect((await body(put)).webhook).toMatchObject({
      active: true,
      disabled_reason: null,
      events: ["training.created"],
    });
    expect((await send("DELETE", `${WEBHOOKS}/${webhook.id}`, undefined, admin)).status).toBe(200);
    await expectError(await send("GET", `${WEBHOOKS}/${webhook.id}`, undefined, admin), 404, "WEBHOOK_NOT_FOUND");
    await expectError(await send("DELETE", `${WEBHOOKS}/${webhook.id}`, undefined, admin), 404, "WEBHOOK_NOT_FOUND");
    await expectError(
      await send("PATCH", `${WEBHOOKS}/${webhook.id}`, { active: true }, admin),
      404,
      "WEBHOOK_NOT_FOUND",
    );
  });

  it("needs the webhooks permissions: an employee gets 403, a holder of webhooks:read only reads", async () => {
    const employee = await signedIn("EMPLOYEE");
    await expectError(await send("GET", WEBHOOKS, undefined, employee.token), 403, "FORBIDDEN");
    const reader = await userWithPermissions(["webhooks:read"]);
    expect((await send("GET", WEBHOOKS, undefined, reader.token)).status).toBe(200);
    const { url } = receiverUrl("ok");
    await expectError(await send("POST", WEBHOOKS, { url, events: ["user.updated"] }, reader.token), 403, "FORBIDDEN");
  });
});

describe("the SSRF guard when saving", () => {
  const refused = [
    "http://hooks.example.com/x", // not https
    "https://user:pass@hooks.example.com/x", // credentials
    "https://token@hooks.example.com/x",
    "https://localhost/x",
    "https://api.localhost/x",
    "https://printer.local/x",
    "https://metadata.google.internal/x",
    "https://intranet/x", // single label
    "https://127.0.0.1/x",
    "https://2130706433/x", // decimal 127.0.0.1
    "https://0177.0.0.1/x", // octal
    "https://0x7f.0x0.0x0.0x1/x", // hex
    "https://0x7f000001/x",
    "https://127.1/x", // short form
    "https://10.0.0.1/x",
    "https://172.16.5.4/x",
    "https://192.168.1.1/x",
    "https://100.64.0.1/x", // CGNAT
    "https://100.127.255.254/x",
    "https://169.254.169.254/latest/meta-data", // link-local, cloud metadata
    "https://0.0.0.0/x",
    "https://224.0.0.1/x", // multicast
    "https://255.255.255.255/x",
    "https://[::1]/x",
    "https://[::]/x",
    "https://[::ffff:127.0.0.1]/x", // IPv4-mapped
    "https://[::ffff:a9fe:a9fe]/x", // IPv4-mapped, hex
    "https://[::ffff:8.8.8.8]/x", // IPv4-mapped, even of a public address
    "https://[fc00::1]/x", // unique local
    "https://[fd12:3456::1]/x",
    "https://[fe80::1]/x", // link-local
    "https://[ff02::1]/x", // multicast
    "https://[64:ff9b::a9fe:a9fe]/x", // NAT64
    "https://[::ffff:0:127.0.0.1]/x", // IPv4-translated
    "https://[2002:7f00:1::]/x", // 6to4 carrying 127.0.0.1
    "https://[2002:a9fe:a9fe::1]/x", // 6to4 carrying 169.254.169.254
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x", // Teredo
    "https://[100::1]/x", // discard-only
    "not a url",
  ];
  it.each(refused)("refuses %s with 422 on body.url", async (url) => {
    const res = await send("POST", WEBHOOKS, { url, events: ["user.updated"] }, admin);
    const json = await expectError(res, 422, "VALIDATION_ERROR");
    expect(json.detail[0].loc).toEqual(["body", "url"]);
  });

  it("accepts public hosts and public IP literals, and refuses a private URL on update too", async () => {
    for (const url of ["https://hooks.example.com/x", "https://93.184.216.34/x", "https://[2606:4700::1111]/x"]) {
      expect((await send("POST", WEBHOOKS, { url, events: ["user.updated"] }, admin)).status).toBe(201);
    }
    const { webhook } = await body(
      await send("POST", WEBHOOKS, { url: "https://hooks.example.com/y", events: ["user.updated"] }, admin),
    );
    await expectError(
      await send("PATCH", `${WEBHOOKS}/${webhook.id}`, { url: "https://10.1.2.3/" }, admin),
      422,
      "VALIDATION_ERROR",
    );
  });

  it("allows http and private addresses with WEBHOOK_ALLOW_PRIVATE_TARGETS (local development), never credentials", async () => {
    const local = clientAt(manualClock(), { WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" } as Partial<Env>);
    const ok = await local.send(
      "POST",
      WEBHOOKS,
      { url: "http://localhost:8788/hook", events: ["user.updated"] },
      admin,
    );
    expect(ok.status).toBe(201);
    const creds = await local.send("POST", WEBHOOKS, { url: "http://a:b@localhost/", events: ["user.updated"] }, admin);
    await expectError(creds, 422, "VALIDATION_ERROR");
  });
});
