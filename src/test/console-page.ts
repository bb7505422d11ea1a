import type { Locator, Page } from 'playwright-core';

/**
 * Helpers for tests that drive the local console in Chromium (its own test,
 * and the demo app's, which checks the console shows what the demo created).
 */

/** Waits until a locator's text matches (playwright-core has no web-first assertions). */
export const contains = async (locator: Locator, wanted: string | RegExp, timeout = 10_000): Promise<void> => {
  const deadline = Date.now() + timeout;
  let text = '';
  while (Date.now() < deadline) {
    text =
      (await locator
        .first()
        .textContent({ timeout })
        .catch(() => '')) ?? '';
    if (typeof wanted === 'string' ? text.includes(wanted) : wanted.test(text)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`expected ${String(wanted)} in: ${text.slice(0, 500)}`);
};

/** Opens one of the console's panels by its tab. */
export const openPanel = (page: Page, panel: string): Promise<void> => page.getByRole('tab', { name: panel }).click();

/** Runs a query in the GraphQL panel's GraphiQL and returns its response panel. */
export const runInGraphiql = async (page: Page, query: string): Promise<Locator> => {
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
  await page.evaluate((text) => {
    const editor = document.querySelector('.graphiql-query-editor .CodeMirror');
    const codeMirror: unknown = editor && Reflect.get(editor, 'CodeMirror');
    const setValue: unknown = codeMirror && Reflect.get(codeMirror, 'setValue');
    if (typeof setValue !== 'function') throw new Error('no CodeMirror editor');
    setValue.call(codeMirror, text);
  }, query);
  await page.locator('.graphiql-execute-button').click();
  return page.locator('.graphiql-response');
};

/** The console's users as its API lists them (the username the pool generated for an email sign-up). */
export const consoleUsers = (page: Page): Promise<Array<{ username: string; attributes: Record<string, string> }>> =>
  page.evaluate(async () => (await (await fetch('/api/users')).json()).users);
