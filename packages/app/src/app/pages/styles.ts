/**
 * The site's only stylesheet, served by `assets.ts` under a content-hashed URL (the CSP allows styles from the
 * site itself and nothing inline). Colours meet WCAG AA contrast in both schemes; focus is always visible.
 */
export const STYLESHEET = `
:root {
  color-scheme: light dark;
  --bg: #f5f6f8;
  --surface: #ffffff;
  --text: #1c2127;
  --muted: #555f6b;
  --border: #d3d9e0;
  --accent: #0b57d0;
  --accent-text: #ffffff;
  --accent-hover: #0842a0;
  --danger: #b3261e;
  --danger-bg: #fdecea;
  --success: #146c2e;
  --success-bg: #e6f4ea;
  --focus: #f59e0b;
  --radius: 10px;
  --shadow: 0 1px 2px rgb(16 24 40 / 6%), 0 1px 3px rgb(16 24 40 / 8%);
}

@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418;
    --surface: #1a1f25;
    --text: #e6e9ed;
    --muted: #a4adb8;
    --border: #333b45;
    --accent: #8ab4f8;
    --accent-text: #0b1d3a;
    --accent-hover: #aecbfa;
    --danger: #f2b8b5;
    --danger-bg: #3a1a19;
    --success: #a8dab5;
    --success-bg: #16301e;
    --shadow: none;
  }
}

*, *::before, *::after { box-sizing: border-box; }

html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }

body {
  margin: 0;
  min-height: 100vh;
  display: flex;
  flex-direction: column;
  background: var(--bg);
  color: var(--text);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}

a { color: var(--accent); text-underline-offset: 0.15em; }
a:hover { color: var(--accent-hover); }

:focus-visible {
  outline: 3px solid var(--focus);
  outline-offset: 2px;
  border-radius: 4px;
}

h1, h2 { line-height: 1.25; margin: 0 0 0.75rem; }
h1 { font-size: 1.75rem; letter-spacing: -0.01em; }
h2 { font-size: 1.2rem; }
p { margin: 0 0 1rem; }

.skip-link {
  position: absolute;
  left: 0.5rem;
  top: -3rem;
  padding: 0.5rem 0.75rem;
  background: var(--surface);
  color: var(--text);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  z-index: 10;
}
.skip-link:focus { top: 0.5rem; }

.visually-hidden {
  position: absolute !important;
  width: 1px;
  height: 1px;
  margin: -1px;
  padding: 0;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
  border: 0;
}

/* Header and navigation */
.site-header {
  background: var(--surface);
  border-bottom: 1px solid var(--border);
}
.site-header .bar {
  max-width: 48rem;
  margin: 0 auto;
  padding: 0.75rem 1.25rem;
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 0.5rem 1.5rem;
}
.brand {
  display: inline-flex;
  align-items: center;
  gap: 0.5rem;
  font-weight: 700;
  font-size: 1.1rem;
  color: var(--text);
  text-decoration: none;
}
.brand:hover { color: var(--text); }
.brand img { width: 1.6rem; height: 1.6rem; }
.site-nav {
  flex: 1 1 auto;
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: 0.5rem 1rem;
}
.site-nav ul {
  list-style: none;
  margin: 0;
  padding: 0;
  display: flex;
  flex-wrap: wrap;
  gap: 0.25rem;
}
.site-nav a {
  display: inline-block;
  padding: 0.35rem 0.7rem;
  border-radius: 999px;
  color: var(--muted);
  text-decoration: none;
  font-weight: 500;
}
.site-nav a:hover { color: var(--text); background: var(--bg); }
.site-nav a[aria-current="page"] { color: var(--text); background: var(--bg); box-shadow: inset 0 0 0 1px var(--border); }
.account {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 0.5rem 0.75rem;
  color: var(--muted);
  font-size: 0.95rem;
}
.account .who { overflow-wrap: anywhere; }
.account form { margin: 0; }

/* Layout */
main {
  flex: 1 0 auto;
  width: 100%;
  max-width: 48rem;
  margin: 0 auto;
  padding: 2rem 1.25rem 3rem;
}
main.narrow { max-width: 28rem; }
.page-intro { color: var(--muted); margin-top: -0.25rem; }
.site-footer {
  color: var(--muted);
  font-size: 0.875rem;
  text-align: center;
  padding: 1.25rem;
  border-top: 1px solid var(--border);
}
.site-footer p { margin: 0; }

.card {
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  box-shadow: var(--shadow);
  padding: 1.5rem;
  margin-bottom: 1.5rem;
}
.card > :last-child { margin-bottom: 0; }
.card-danger { border-color: var(--danger); }

/* Messages */
.notice, .alert {
  border-radius: var(--radius);
  padding: 0.75rem 1rem;
  margin-bottom: 1.5rem;
  border: 1px solid;
}
.notice { background: var(--success-bg); color: var(--success); border-color: currentColor; }
.alert { background: var(--danger-bg); color: var(--danger); border-color: currentColor; }
.alert p, .notice p { margin: 0; }
.banner {
  display: flex;
  flex-wrap: wrap;
  gap: 0.75rem;
  align-items: center;
  justify-content: space-between;
  border: 1px solid var(--accent);
  border-radius: var(--radius);
  padding: 0.75rem 1rem;
  margin-bottom: 1.5rem;
}
.banner p { margin: 0; }
.mail-list { list-style: none; padding: 0; }
.mail-text { white-space: pre-wrap; overflow-wrap: anywhere; }

/* Forms */
form { margin: 0; }
.field { margin-bottom: 1.1rem; }
.field label { display: block; font-weight: 600; margin-bottom: 0.3rem; }
.field .hint { display: block; color: var(--muted); font-size: 0.875rem; margin: -0.15rem 0 0.35rem; }
.field .error { display: block; color: var(--danger); font-size: 0.9rem; margin-top: 0.3rem; font-weight: 500; }
input[type="text"], input[type="email"], input[type="password"], textarea {
  display: block;
  width: 100%;
  padding: 0.6rem 0.75rem;
  font: inherit;
  color: var(--text);
  background: var(--surface);
  border: 1px solid var(--muted);
  border-radius: 8px;
}
textarea { min-height: 6rem; resize: vertical; }
input:focus-visible, textarea:focus-visible { outline-offset: 0; border-color: var(--accent); }
[aria-invalid="true"] { border-color: var(--danger); border-width: 2px; }

.actions {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 0.75rem;
  margin-top: 1.25rem;
}

/* The passkey buttons stay hidden until the passkey script finds WebAuthn. */
[hidden] { display: none !important; }
button, .button {
  display: inline-flex;
  align-items: center;
  justify-content: center;
  min-height: 2.5rem;
  padding: 0.5rem 1.1rem;
  font: inherit;
  font-weight: 600;
  line-height: 1.2;
  color: var(--accent-text);
  background: var(--accent);
  border: 1px solid var(--accent);
  border-radius: 8px;
  cursor: pointer;
  text-decoration: none;
}
button:hover, .button:hover { background: var(--accent-hover); border-color: var(--accent-hover); color: var(--accent-text); }
.button-secondary {
  color: var(--text);
  background: var(--surface);
  border-color: var(--border);
}
.button-secondary:hover { color: var(--text); background: var(--bg); border-color: var(--muted); }
.button-danger { color: var(--danger); background: var(--surface); border-color: var(--danger); }
.button-danger:hover { color: var(--surface); background: var(--danger); border-color: var(--danger); }
.button-small { min-height: 2.1rem; padding: 0.3rem 0.8rem; font-size: 0.9rem; }
.link-button {
  min-height: 0;
  padding: 0.35rem 0.7rem;
  color: var(--accent);
  background: none;
  border: 1px solid var(--border);
  border-radius: 999px;
  font-weight: 500;
}
.link-button:hover { color: var(--accent-hover); background: var(--bg); border-color: var(--muted); }

.switch { text-align: center; color: var(--muted); margin: 1.25rem 0 0; }

/* Notes */
.note-list, .session-list { list-style: none; margin: 0 0 1.5rem; padding: 0; display: grid; gap: 1rem; }
.note, .session {
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  box-shadow: var(--shadow);
  padding: 1.1rem 1.25rem;
}
.note h3, .session h3 { font-size: 1.05rem; margin: 0 0 0.35rem; overflow-wrap: anywhere; }
.note .excerpt {
  color: var(--text);
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  margin-bottom: 0.75rem;
}
.meta { color: var(--muted); font-size: 0.875rem; }
.item-footer {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: 0.5rem 1rem;
}
.item-footer .actions { margin: 0; gap: 0.5rem; }
.empty {
  color: var(--muted);
  text-align: center;
  padding: 2rem 1rem;
  border: 1px dashed var(--border);
  border-radius: var(--radius);
}
.section-head {
  display: flex;
  flex-wrap: wrap;
  align-items: baseline;
  justify-content: space-between;
  gap: 0.5rem;
  margin: 2rem 0 1rem;
}
.section-head h2 { margin: 0; }

/* Sessions */
.session.current { border-color: var(--accent); box-shadow: 0 0 0 1px var(--accent); }
.badge {
  display: inline-block;
  margin-left: 0.5rem;
  padding: 0.05rem 0.55rem;
  font-size: 0.75rem;
  font-weight: 600;
  vertical-align: middle;
  color: var(--accent-text);
  background: var(--accent);
  border-radius: 999px;
}
.facts {
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: 0.2rem 1rem;
  margin: 0.5rem 0 0.9rem;
  font-size: 0.925rem;
}
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }

/* Sign in with an OpenID provider, and the account's sign-in methods */
.provider-list, .method-list { list-style: none; margin: 0 0 1rem; padding: 0; display: grid; gap: 0.6rem; }
.provider-list .button { width: 100%; }
.method { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.5rem 1rem; }
.method > span:first-child { font-weight: 600; }
.method .hint { color: var(--muted); font-size: 0.9rem; }
.method form { margin: 0; }

/* Error pages */
.error-page { text-align: center; padding-top: 2rem; }
.error-page .status { color: var(--muted); font-size: 0.9rem; font-weight: 600; letter-spacing: 0.08em; text-transform: uppercase; }
.error-page .reference { color: var(--muted); font-size: 0.85rem; }

@media (max-width: 32rem) {
  main { padding-top: 1.5rem; }
  .card { padding: 1.1rem; }
  h1 { font-size: 1.5rem; }
}

@media (prefers-reduced-motion: no-preference) {
  button, .button, .site-nav a { transition: background-color 0.12s, border-color 0.12s, color 0.12s; }
}

.qr-code svg { display: block; width: 12rem; height: 12rem; margin: 0.5rem 0 1rem; }
.recovery-codes { columns: 2; list-style: none; padding: 0; font-family: ui-monospace, monospace; }
.recovery-codes li { margin: 0.2rem 0; }
`;
