import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TextModel } from "../src/middleware/deps";
import { fixtureAdmin, userWithPermissions } from "./access-fixtures";
import { createTraining, createUser, signedIn, tokenFor } from "./factories";
import { API, body, call, clientAt, env, expectError, manualClock, send, unique } from "./helpers";

const SEND = "/api/v1/chat/send";

interface Answer {
  response: string;
  conversation_id: number;
  message_id: number;
  sources: string[];
  answered_by: string;
}

/** Asks `question` as the holder of `token` (through `client`, default the Worker); returns the answer. */
async function ask(token: string, question: string, conversationId?: number, client = { send }): Promise<Answer> {
  const res = await client.send("POST", SEND, { message: question, conversation_id: conversationId }, token);
  expect(res.status).toBe(200);
  return (await body(res)).data;
}

/** Registers the holder of `token` for training `id`. */
async function registerFor(token: string, id: number) {
  expect((await send("POST", `/api/v1/trainings/${id}/register`, undefined, token)).status).toBe(201);
}

/** A module created by the fixture admin, and `score`s recorded in it for users. */
async function moduleWithScores(title: string, maxScore: number, scores: [userId: number, score: number][]) {
  const { token } = await fixtureAdmin();
  const res = await send("POST", "/api/v1/modules", { title, max_score: maxScore }, token);
  expect(res.status).toBe(201);
  const id = (await body(res)).module.id as number;
  for (const [userId, score] of scores) {
    expect((await send("PUT", `/api/v1/users/${userId}/progress/${id}`, { score }, token)).status).toBeLessThan(300);
  }
  return id;
}

const storedAnswer = (id: number) =>
  env.DB.prepare("SELECT role, content, sources, answered_by FROM chat_messages WHERE id = ?1")
    .bind(id)
    .first<{ role: string; content: string; sources: string; answered_by: string }>();

describe("the built-in answerer", () => {
  it("refuses the catalog to a caller without trainings:read, as GET /trainings does", async () => {
    const { token: adminToken } = await fixtureAdmin();
    const training = await createTraining(adminToken, { max_participants: 3 });
    const { token } = await userWithPermissions(["modules:read"]);
    for (const question of [
      "Which trainings have free seats?",
      "What are the most popular trainings?",
      "How many trainings are there?",
    ]) {
      const answer = await ask(token, question);
      expect(answer.response).toContain("You may not see the training catalog");
      expect(answer.response).not.toContain(training.title);
      expect(answer.sources).toEqual([]);
    }
  });

  it("lists the trainings with free seats, from the catalog", async () => {
    const { token: adminToken } = await fixtureAdmin();
    const roomy = await createTraining(adminToken, { max_participants: 3 });
    const full = await createTraining(adminToken, { max_participants: 1 });
    const { token } = await signedIn("EMPLOYEE");
    await registerFor(token, roomy.id);
    await registerFor((await signedIn("EMPLOYEE")).token, full.id);
    const answer = await ask(token, "Which trainings have free seats?");
    expect(answer.response).toContain(`${roomy.title} (2 of 3 seats free)`);
    expect(answer.response).not.toContain(full.title);
    expect(answer.sources).toEqual(["training catalog (published trainings and their seats)"]);
    expect(answer.response).toMatch(/\n\nSources: training catalog \(published trainings and their seats\)\.$/);
    expect(answer.answered_by).toBe("built-in");
  });

  it("names the most popular training by its active registrations", async () => {
    const { token: adminToken } = await fixtureAdmin();
    const hit = await createTraining(adminToken, { max_participants: 20 });
    for (let i = 0; i < 7; i += 1) await registerFor((await signedIn("EMPLOYEE")).token, hit.id);
    const { token } = await signedIn("EMPLOYEE");
    const answer = await ask(token, "What are the most popular trainings?");
    expect(answer.response).toContain(`1. ${hit.title}: 7 registrations (13 of 20 seats free)`);
  });

  it("counts the published trainings", async () => {
    const { token: adminToken } = await fixtureAdmin();
    await createTraining(adminToken);
    await createTraining(adminToken, { status: "DRAFT" });
    const published = await env.DB.prepare("SELECT count(*) AS n FROM trainings WHERE status = 'PUBLISHED'").first<{
      n: number;
    }>();
    const { token } = await signedIn("EMPLOYEE");
    const answer = await ask(token, "How many trainings are there?");
    expect(answer.response).toContain(`There are ${published?.n} published trainings.`);
    const mine = await ask(token, "How many trainings can I register for?");
    expect(mine.response).toContain(`There are ${published?.n} published trainings.`);
  });

  it("lists the caller's own registrations with their status", async () => {
    const { token: adminToken } = await fixtureAdmin();
    const a = await createTraining(adminToken);
    const b = await createTraining(adminToken);
    const { token } = await signedIn("EMPLOYEE");
    await registerFor(token, a.id);
    await registerFor(token, b.id);
    await registerFor((await signedIn("EMPLOYEE")).token, b.id);
    const answer = await ask(token, "What am I registered for?");
    expect(answer.response).toContain(`You have 2 registrations: ${a.title} (REGISTERED); ${b.title} (REGISTERED).`);
    expect(answer.sources).toEqual(["your registrations"]);
    // A training taken back to draft keeps its title from an employee, as GET /trainings/{id} does.
    await env.DB.prepare("UPDATE trainings SET status = 'DRAFT' WHERE id = ?1").bind(b.id).run();
    const later = await ask(token, "What am I registered for?");
    expect(later.response).toContain(`training ${b.id} (REGISTERED)`);
    expect(later.response).not.toContain(b.title);
  });

  it("gives the caller's own progress with its average", async () => {
    const { user, token } = await signedIn("EMPLOYEE");
    const first = unique("Module ");
    const second = unique("Module ");
    await moduleWithScores(first, 100, [[user.id, 80]]);
    await moduleWithScores(second, 50, [[user.id, 20]]);
    const answer = await ask(token, "What is my progress?");
    expect(answer.response).toContain(
      `You are enrolled in 2 modules, 60% complete on average: ${first} 80/100 (80%); ${second} 20/50 (40%).`,
    );
    expect(answer.sources).toEqual(["your module progress"]);
  });

  it("says what it can answer when it does not understand", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const answer = await ask(token, "Tell me a joke about penguins");
    expect(answer.response).toContain("You can ask me about:");
    expect(answer.response).toContain("your progress");
    expect(answer.response).not.toContain("trends");
    expect(answer.sources).toEqual([]);
    expect(answer.response).toMatch(/Sources: none/);
  });
});

describe("permission filtering", () => {
  it("gives a manager (progress:read) another user's progress", async () => {
    const { user: other } = await signedIn("EMPLOYEE");
    const title = unique("Module ");
    await moduleWithScores(title, 10, [[other.id, 9]]);
    const { token } = await signedIn("KNOWLEDGE_MANAGER");
    const answer = await ask(token, `What is the progress of ${other.username}?`);
    expect(answer.response).toContain(`${other.username} is enrolled in 1 module: ${title} 9/10 (90%).`);
    expect(answer.sources).toEqual([`module progress of ${other.username}`]);
  });

  it("never tells an employee another user's progress, nor whether that user exists", async () => {
    const { user: other } = await signedIn("EMPLOYEE");
    const title = unique("Secret module ");
    await moduleWithScores(title, 10, [[other.id, 9]]);
    const { token } = await signedIn("EMPLOYEE");
    const answer = await ask(token, `What is the progress of ${other.username}?`);
    expect(answer.response).not.toContain(title);
    expect(answer.response).toContain("I can only tell you about your own progress");
    expect(answer.sources).toEqual([]);
    const nobody = await ask(token, `What is the progress of ${unique("nobody")}?`);
    expect(nobody.response.replace(/\n\n.*$/s, "")).toBe(answer.response.replace(/\n\n.*$/s, ""));
    const stored = await storedAnswer(answer.message_id);
    expect(stored).toMatchObject({ role: "assistant", sources: "[]" });
    expect(stored?.content).not.toContain(title);
  });

  it("refuses an employee the platform's figures: user counts and trends", async () => {
    const { token } = await signedIn("EMPLOYEE");
    for (const question of ["How many users are there?", "What are the registration trends this month?"]) {
      const answer = await ask(token, question);
      expect(answer.response).toContain("for holders of `reports:read`");
      expect(answer.sources).toEqual([]);
    }
  });

  it("counts only an employee's own registrations", async () => {
    const { token: adminToken } = await fixtureAdmin();
    const t = await createTraining(adminToken);
    const { token } = await signedIn("EMPLOYEE");
    await registerFor(token, t.id);
    await registerFor((await signedIn("EMPLOYEE")).token, t.id);
    const answer = await ask(token, "How many registrations are there?");
    expect(answer.response).toContain("You have 1 registration.");
    expect(answer.sources).toEqual(["your registrations"]);
  });
});

describe("the platform's figures (reports:read)", () => {
  const DAY = 86_400;
  /** Weeks in 2020: no other test of this file writes anything dated then. */
  const T = Date.parse("2020-03-10T12:00:00.000Z");

  /**
   * In the week before last (T - 9 days): 1 sign-up, 2 registrations; in the last week (T - 2 days):
   * 2 sign-ups, 3 registrations of which 1 completed. Returns an ADMIN's client and token at T.
   */
  async function seededWeeks(T: number) {
    const clock = manualClock(T - 9 * DAY * 1000);
    const client = clientAt(clock);
    const { user: admin } = await fixtureAdmin();
    const training = await createTraining((await fixtureAdmin()).token, { max_participants: 50 });
    const at = () => Math.floor(clock.now() / 1000);
    const signUp = async () => {
      const username = unique("fig");
      const res = await client.send("POST", "/api/v1/auth/register", {
        username,
        email: `${username}@example.test`,
        password: "Figures-Password-2020!x",
      });
      expect(res.status).toBe(201);
    };
    const registration = async () => {
      const user = await createUser();
      const res = await client.send(
        "POST",
        `/api/v1/trainings/${training.id}/register`,
        undefined,
        await tokenFor(user.id, { now: at() }),
      );
      expect(res.status).toBe(201);
      return (await body(res)).registration.id as number;
    };
    await signUp();
    await registration();
    await registration();
    clock.advance(7 * DAY);
    await signUp();
    await signUp();
    const done = await registration();
    await registration();
    await registration();
    const adminToken = await tokenFor(admin.id, { now: at() });
    for (const status of ["ATTENDED", "COMPLETED"]) {
      expect((await client.send("PATCH", `/api/v1/registrations/${done}`, { status }, adminToken)).status).toBe(200);
    }
    clock.advance(2 * DAY);
    return { client, clock, token: await tokenFor(admin.id, { now: at() }) };
  }

  it("answers counts and trends from the figures of the period and the one before", async () => {
    const { client, token } = await seededWeeks(T);
    const source = "platform figures of 2020-03-03 to 2020-03-10 and of 2020-02-25 to 2020-03-03 (as in reports)";

    const trend = await ask(token, "What are the registration trends this week?", undefined, client);
    expect(trend.response).toContain("In the last 7 days, compared with the 7 days before:");
    expect(trend.response).toContain("registrations 3 (up 1, +50%, from 2)");
    expect(trend.response).toContain("completions 1 (up 1, from 0)");
    expect(trend.response).toContain("new users 2 (up 1, +100%, from 1)");
    expect(trend.sources).toEqual([source]);

    const users = await ask(token, "How many users are there?", undefined, client);
    expect(users.response).toContain("There are 3 users (3 active accounts); 2 joined");

    const registrations = await ask(token, "How many registrations were made this week?", undefined, client);
    expect(registrations.response).toContain(
      "3 registrations were made in the last 7 days (now 2 REGISTERED, 1 COMPLETED); 1 completed.",
    );
    expect(registrations.sources).toEqual([source]);
  });

  it("summarizes the latest report, for reports:read holders only", async () => {
    await seededWeeks(Date.parse("2020-06-10T12:00:00.000Z"));
    const { token } = await fixtureAdmin();
    const name = unique("Weekly ");
    const period = { period_start: "2020-06-03T12:00:00Z", period_end: "2020-06-10T12:00:00Z" };
    expect((await send("POST", "/api/v1/reports/generate", { ...period, name }, token)).status).toBe(201);
    const answer = await ask(token, "What does the latest report say?");
    expect(answer.response).toMatch(
      new RegExp(
        `^The latest report, ${name} \\(2020-06-03 to 2020-06-10\\): 2 new users, \\d+ active users?, 3 registrations, 1 completion\\.`,
      ),
    );
    expect(answer.sources).toEqual([`report "${name}" (2020-06-03 to 2020-06-10)`]);
    const employee = await ask((await signedIn("EMPLOYEE")).token, "What does the latest report say?");
    expect(employee.response).not.toContain(name);
    expect(employee.response).toContain("for holders of `reports:read`");
  });
});

describe("conversations", () => {
  it("keeps a conversation's questions and answers, oldest first, for its owner only", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const first = await ask(token, "What am I registered for?");
    const second = await ask(token, "What is my progress?", first.conversation_id);
    expect(second.conversation_id).toBe(first.conversation_id);
    const history = await body(
      await send("GET", `/api/v1/chat/history?conversation_id=${first.conversation_id}`, undefined, token),
    );
    expect(history).toMatchObject({ conversation_id: first.conversation_id, total: 4, skip: 0, limit: 100 });
    expect(history.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ["user", "What am I registered for?"],
      ["assistant", first.response],
      ["user", "What is my progress?"],
      ["assistant", second.response],
    ]);
    expect(history.messages[1]).toMatchObject({
      id: first.message_id,
      sources: first.sources,
      answered_by: "built-in",
    });

    const { token: otherToken } = await signedIn("EMPLOYEE");
    await expectError(
      await send("GET", `/api/v1/chat/history?conversation_id=${first.conversation_id}`, undefined, otherToken),
      404,
      "CONVERSATION_NOT_FOUND",
    );
    await expectError(
      await send("POST", SEND, { message: "hello", conversation_id: first.conversation_id }, otherToken),
      404,
      "CONVERSATION_NOT_FOUND",
    );
    const count = await env.DB.prepare("SELECT count(*) AS n FROM chat_messages WHERE conversation_id = ?1")
      .bind(first.conversation_id)
      .first<{ n: number }>();
    expect(count?.n).toBe(4);
  });

  it("pages a conversation's history", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const { conversation_id } = await ask(token, "hello");
    await ask(token, "hello again", conversation_id);
    const page = await body(
      await send("GET", `/api/v1/chat/history?conversation_id=${conversation_id}&offset=2&limit=1`, undefined, token),
    );
    expect(page).toMatchObject({ total: 4, skip: 2, limit: 1, messages: [{ role: "user", content: "hello again" }] });
  });

  it("lists the caller's conversations, most recently active first", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const older = await ask(token, "What is my progress?");
    const newer = await ask(token, "Which trainings have free seats?");
    await ask((await signedIn("EMPLOYEE")).token, "someone else's");
    const list = await body(await send("GET", "/api/v1/chat/conversations", undefined, token));
    expect(list).toMatchObject({ total: 2, skip: 0, limit: 100 });
    expect(list.conversations.map((c: { id: number; title: string }) => [c.id, c.title])).toEqual([
      [newer.conversation_id, "Which trainings have free seats?"],
      [older.conversation_id, "What is my progress?"],
    ]);
  });

  it("answers 404 for an unknown conversation, 422 for an empty or oversized message", async () => {
    const { token } = await signedIn("EMPLOYEE");
    await expectError(
      await send("POST", SEND, { message: "hi", conversation_id: 99_999_999 }, token),
      404,
      "CONVERSATION_NOT_FOUND",
    );
    await expectError(await send("POST", SEND, { message: "   " }, token), 422, "VALIDATION_ERROR");
    await expectError(await send("POST", SEND, { message: "x".repeat(2001) }, token), 422, "VALIDATION_ERROR");
    await expectError(await send("GET", "/api/v1/chat/history", undefined, token), 422, "VALIDATION_ERROR");
  });

  it("answers 429 beyond RATE_LIMIT_CHAT_PER_MINUTE questions per user", async () => {
    const client = clientAt(manualClock(), { RATE_LIMITS_ENABLED: "true", RATE_LIMIT_CHAT_PER_MINUTE: "2" });
    const { token } = await signedIn("EMPLOYEE");
    await ask(token, "hello", undefined, client);
    await ask(token, "hello", undefined, client);
    const res = await client.send("POST", SEND, { message: "hello" }, token);
    await expectError(res, 429, "RATE_LIMITED");
    expect(res.headers.get("RateLimit-Policy")).toBe('"chat";q=2;w=60');
  });
});

/** A fake Workers AI binding that records what it was given. */
function fakeModel(answer: (content: string) => Promise<unknown>) {
  const calls: { model: string; messages: { role: string; content: string }[] }[] = [];
  const ai: TextModel = {
    run: (model, inputs) => {
      calls.push({ model, messages: inputs.messages });
      return answer(inputs.messages.at(-1)?.content ?? "");
    },
  };
  return { ai, calls };
}

describe("with a Workers AI binding", () => {
  it("refuses another user's conversation (404) without asking the model", async () => {
    const { ai, calls } = fakeModel(async () => ({ response: "never" }));
    const client = clientAt(manualClock(), { AI: ai } as Partial<Env>);
    const { token: owner } = await signedIn("EMPLOYEE");
    const theirs = await ask(owner, "hello");
    const { token } = await signedIn("EMPLOYEE");
    const res = await client.send("POST", SEND, { message: "hello", conversation_id: theirs.conversation_id }, token);
    await expectError(res, 404, "CONVERSATION_NOT_FOUND");
    expect(calls).toEqual([]);
  });

  it("has the model phrase the answer from the question and the retrieved data", async () => {
    const { token: adminToken } = await fixtureAdmin();
    const t = await createTraining(adminToken, { max_participants: 4 });
    const { ai, calls } = fakeModel(async () => ({ response: "Plenty of room, friend." }));
    const client = clientAt(manualClock(), { AI: ai } as Partial<Env>);
    const { token } = await signedIn("EMPLOYEE");
    const answer = await ask(token, "Which trainings have free seats?", undefined, client);
    expect(answer).toMatchObject({
      response: "Plenty of room, friend.\n\nSources: training catalog (published trainings and their seats).",
      answered_by: "model",
      sources: ["training catalog (published trainings and their seats)"],
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.model).toBe("@cf/meta/llama-3.1-8b-instruct");
    const prompt = calls[0]?.messages.at(-1)?.content ?? "";
    expect(prompt).toContain("Question: Which trainings have free seats?");
    expect(prompt).toContain(`"title":"${t.title}"`);
    expect(prompt).toContain('"seats_free":4');
    expect(await storedAnswer(answer.message_id)).toMatchObject({ answered_by: "model" });
  });

  it("gives the model only what the caller may see when no built-in intent matches", async () => {
    const { user: other } = await signedIn("EMPLOYEE");
    const secret = unique("Other's module ");
    await moduleWithScores(secret, 10, [[other.id, 3]]);
    const { ai, calls } = fakeModel(async () => ({ response: "Here is what I know." }));
    const client = clientAt(manualClock(), { AI: ai } as Partial<Env>);
    const { token } = await signedIn("EMPLOYEE");
    const answer = await ask(token, "Summarize everything about the platform", undefined, client);
    expect(answer.sources).toEqual([
      "training catalog (published trainings and their seats)",
      "your registrations",
      "your module progress",
    ]);
    expect(calls[0]?.messages.at(-1)?.content).not.toContain(secret);
  });

  it("falls back to the built-in answer when the model fails or answers nothing", async () => {
    const { token } = await signedIn("EMPLOYEE");
    for (const failing of [
      async () => {
        throw new Error("model unavailable");
      },
      async () => ({ something: "else" }),
    ]) {
      const { ai, calls } = fakeModel(failing);
      const client = clientAt(manualClock(), { AI: ai } as Partial<Env>);
      const answer = await ask(token, "What am I registered for?", undefined, client);
      expect(calls).toHaveLength(1);
      expect(answer).toMatchObject({ answered_by: "built-in", sources: ["your registrations"] });
      expect(answer.response).toBe("You have no registrations.\n\nSources: your registrations.");
    }
  });
});

/** Opens the chat WebSocket with `headers` through the Worker's own fetch. */
function connect(headers: Record<string, string>) {
  return exports.default.fetch(new Request(`${API}/chat/connect`, { headers: { Upgrade: "websocket", ...headers } }));
}

/** An open socket and a function that resolves to its next message, parsed. */
async function openSocket(headers: Record<string, string>) {
  const res = await connect(headers);
  expect(res.status).toBe(101);
  const ws = res.webSocket as WebSocket;
  ws.accept();
  const queue: unknown[] = [];
  const waiting: ((v: unknown) => void)[] = [];
  ws.addEventListener("message", (e) => {
    const value = JSON.parse(e.data as string);
    const resolve = waiting.shift();
    if (resolve) resolve(value);
    else queue.push(value);
  });
  const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
  // biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON.
  const next = (): Promise<any> =>
    queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve));
  return { ws, next, closed };
}

describe("WebSocket /chat/connect", () => {
  it("answers each question with one JSON message, stored as over REST", async () => {
    const { token: adminToken } = await fixtureAdmin();
    const t = await createTraining(adminToken);
    const { token } = await signedIn("EMPLOYEE");
    await registerFor(token, t.id);
    const { ws, next } = await openSocket({ Authorization: `Bearer ${token}` });
    ws.send(JSON.stringify({ message: "What am I registered for?" }));
    const first = await next();
    expect(first).toMatchObject({
      type: "answer",
      data: {
        response: `You have 1 registration: ${t.title} (REGISTERED).\n\nSources: your registrations.`,
        sources: ["your registrations"],
        answered_by: "built-in",
      },
    });
    ws.send(JSON.stringify({ message: "What is my progress?", conversation_id: first.data.conversation_id }));
    const second = await next();
    expect(second.data.conversation_id).toBe(first.data.conversation_id);
    const history = await body(
      await send("GET", `/api/v1/chat/history?conversation_id=${first.data.conversation_id}`, undefined, token),
    );
    expect(history.total).toBe(4);
    ws.close();
  });

  it("authenticates by the access_token cookie too, from an allowed origin", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const { ws, next } = await openSocket({ Cookie: `access_token=${token}`, Origin: "https://app.example.test" });
    ws.send(JSON.stringify({ message: "hello" }));
    expect((await next()).type).toBe("answer");
    ws.close();
  });

  it("refuses a cookie-authenticated handshake from another origin (cross-site WebSocket hijacking)", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const res = await connect({ Cookie: `access_token=${token}`, Origin: "https://evil.example" });
    expect(res.webSocket).toBeNull();
    await expectError(res, 403, "CSRF_ORIGIN_REJECTED");
  });

  it("refuses with 401 before the upgrade without a valid token, and 426 without the upgrade", async () => {
    await expectError(await connect({}), 401, "UNAUTHORIZED");
    await expectError(await connect({ Authorization: "Bearer not.a.token" }), 401, "INVALID_TOKEN");
    const { token } = await signedIn("EMPLOYEE");
    await expectError(
      await call("/api/v1/chat/connect", { headers: { Authorization: `Bearer ${token}` } }),
      426,
      "UPGRADE_REQUIRED",
    );
  });

  it("answers bad messages with JSON errors and keeps the socket open", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const { ws, next } = await openSocket({ Authorization: `Bearer ${token}` });
    ws.send("not json");
    expect(await next()).toMatchObject({ type: "error", status: 422, code: "INVALID_MESSAGE" });
    ws.send(JSON.stringify({ message: "  " }));
    expect(await next()).toMatchObject({ type: "error", status: 422, code: "INVALID_MESSAGE" });
    ws.send(JSON.stringify({ message: "x".repeat(9000) }));
    expect(await next()).toMatchObject({ type: "error", status: 413, code: "MESSAGE_TOO_LARGE" });
    ws.send(JSON.stringify({ message: "hi", conversation_id: 99_999_999 }));
    expect(await next()).toMatchObject({ type: "error", status: 404, code: "CONVERSATION_NOT_FOUND" });
    ws.send(JSON.stringify({ message: "hello" }));
    expect((await next()).type).toBe("answer");
    ws.close();
  });

  it("refuses a signed-out session's token before the socket is opened, so it holds no socket slot", async () => {
    const name = unique("wsout");
    const reg = await body(
      await send("POST", "/api/v1/auth/register", {
        username: name,
        email: `${name}@example.test`,
        password: "a long enough passphrase",
      }),
    );
    expect((await send("POST", "/api/v1/auth/logout", undefined, reg.access_token)).status).toBeLessThan(300);
    for (let i = 0; i < 6; i += 1) {
      await expectError(await connect({ Authorization: `Bearer ${reg.access_token}` }), 401, "INVALID_TOKEN");
    }
    const login = await body(
      await send("POST", "/api/v1/auth/login", { username: name, password: "a long enough passphrase" }),
    );
    const { ws } = await openSocket({ Authorization: `Bearer ${login.access_token}` });
    ws.close();
  });

  it("refuses more than 5 open sockets per user with 429 before the upgrade", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const open = [];
    for (let i = 0; i < 5; i += 1) open.push(await openSocket({ Authorization: `Bearer ${token}` }));
    await expectError(await connect({ Authorization: `Bearer ${token}` }), 429, "TOO_MANY_CONNECTIONS");
    for (const { ws } of open) ws.close();
  });

  it("gives the slots of sockets whose session ended to a new connection, closing those sockets", async () => {
    const name = unique("wsslots");
    const password = "a long enough passphrase";
    const reg = await body(
      await send("POST", "/api/v1/auth/register", { username: name, email: `${name}@example.test`, password }),
    );
    const old = [];
    for (let i = 0; i < 5; i += 1) old.push(await openSocket({ Authorization: `Bearer ${reg.access_token}` }));
    expect((await send("POST", "/api/v1/auth/logout", undefined, reg.access_token)).status).toBe(200);
    const login = await body(await send("POST", "/api/v1/auth/login", { username: name, password }));
    const { ws } = await openSocket({ Authorization: `Bearer ${login.access_token}` });
    for (const socket of old) expect(await socket.closed).toBe(4401);
    ws.close();
  });

  it("limits the user's questions over all its sockets: reconnecting does not reset the rate", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const first = await openSocket({ Authorization: `Bearer ${token}` });
    const second = await openSocket({ Authorization: `Bearer ${token}` });
    for (let i = 0; i < 5; i += 1) {
      for (const { ws, next } of [first, second]) {
        ws.send("{}");
        expect((await next()).code).toBe("INVALID_MESSAGE");
      }
    }
    first.ws.close();
    second.ws.close();
    const again = await openSocket({ Authorization: `Bearer ${token}` });
    again.ws.send(JSON.stringify({ message: "hello" }));
    const refused = await again.next();
    expect(refused).toMatchObject({ type: "error", status: 429, code: "CHAT_RATE_LIMITED" });
    expect(refused.detail).toMatch(/\d+ second/);
    again.ws.close();
  });

  it("ends the socket once its session is signed out", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const { ws, next, closed } = await openSocket({ Authorization: `Bearer ${token}` });
    expect((await send("POST", "/api/v1/auth/logout", undefined, token)).status).toBe(200);
    ws.send(JSON.stringify({ message: "What is my progress?" }));
    expect(await next()).toMatchObject({ type: "error", status: 401, code: "SESSION_ENDED" });
    expect(await closed).toBe(4401);
  });
});
