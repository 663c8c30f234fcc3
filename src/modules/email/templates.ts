/** The product's name, as emails and pages show it. */
export const PRODUCT_NAME = "Identity & Training";

/** The kinds of email this API sends, one template each. */
export const EMAIL_KINDS = [
  "magic_link",
  "password_reset",
  "email_verification",
  "email_change",
  "email_change_notice",
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

/** What a template fills in. Everything here may come from user input and is escaped in HTML. */
export interface TemplateInput {
  /** The recipient's name as the greeting shows it (the username). */
  name: string;
  /** The link the email exists for ("" for a notice that has none). */
  link: string;
  /** An email change's new address, as the notice to the old one names it. */
  newEmail?: string | undefined;
  /** How long the link works, in minutes. */
  validMinutes: number;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A link's lifetime as people say it: "30 minutes", "24 hours". */
function duration(minutes: number): string {
  if (minutes >= 120 && minutes % 60 === 0) return `${minutes / 60} hours`;
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

interface Copy {
  subject: string;
  intro: string;
  action: string;
  outro: string;
}

const COPY: Record<EmailKind, (minutes: number, input: TemplateInput) => Copy> = {
  magic_link: (m) => ({
    subject: `Your sign-in link for ${PRODUCT_NAME}`,
    intro: "Use the link below to sign in. It works once.",
    action: "Sign in",
    outro: `The link expires in ${duration(m)}. If you did not ask for it, ignore this email.`,
  }),
  password_reset: (m) => ({
    subject: `Reset your ${PRODUCT_NAME} password`,
    intro: "Someone asked to reset the password of your account. Use the link below to choose a new one.",
    action: "Choose a new password",
    outro: `The link expires in ${duration(m)} and works once. If you did not ask for it, ignore this email: your password stays as it is.`,
  }),
  email_verification: (m) => ({
    subject: `Confirm your email address for ${PRODUCT_NAME}`,
    intro: "Confirm that this address is yours by opening the link below.",
    action: "Confirm my address",
    outro: `The link expires in ${duration(m)} and works once.`,
  }),
  email_change: (m) => ({
    subject: `Confirm the new email address of your ${PRODUCT_NAME} account`,
    intro:
      "Your account asked to use this address from now on. Open the link below to confirm it; until then nothing changes.",
    action: "Use this address",
    outro: `The link expires in ${duration(m)} and works once. If you did not ask for it, ignore this email.`,
  }),
  email_change_notice: (_m, input) => ({
    subject: `The email address of your ${PRODUCT_NAME} account is being changed`,
    intro: `Someone signed in to your account asked to change its email address to ${input.newEmail ?? "another address"}. It changes only once that address confirms it.`,
    action: "",
    outro: "If this was not you, sign in and change your password now, and end your other sessions.",
  }),
};

/**
 * The text and HTML parts of an email of `kind`. Every value of `input` is escaped in the HTML part.
 *
 * @example
 *   renderEmail("magic_link", { name: "ada", link: "https://.../magic-link?token=...", validMinutes: 15 })
 */
export function renderEmail(kind: EmailKind, input: TemplateInput): RenderedEmail {
  const copy = COPY[kind](input.validMinutes, input);
  const linkLines = input.link ? [input.link, ""] : [];
  const text = [`Hello ${input.name},`, "", copy.intro, "", ...linkLines, copy.outro, "", `— ${PRODUCT_NAME}`].join(
    "\n",
  );
  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(copy.subject)}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a; max-width: 36rem; margin: 0 auto; padding: 1rem;">
<p>Hello ${e(input.name)},</p>
<p>${e(copy.intro)}</p>
${
  input.link
    ? `<p><a href="${e(input.link)}" style="display: inline-block; padding: 0.6rem 1.2rem; background: #1d4ed8; color: #fff; text-decoration: none; border-radius: 0.3rem;">${e(copy.action)}</a></p>
<p style="font-size: 0.9rem;">Or copy this address into your browser:<br>${e(input.link)}</p>`
    : ""
}
<p style="font-size: 0.9rem; color: #444;">${e(copy.outro)}</p>
<p>— ${e(PRODUCT_NAME)}</p>
</body></html>`;
  return { subject: copy.subject, text, html };
}
