/**
 * The credentials the console signs its API calls with (SigV4, as the CLI does). Kept in this
 * tab's sessionStorage only. Not needed against the embedded runtime on 127.0.0.1.
 */
import { html } from 'lit-html';
import { saveCredentials, savedCredentials } from '../api';
import type { Page } from '../ui';

export class CredentialsPage implements Page {
  title = 'Credentials';
  private saved = false;

  constructor(private readonly redraw: () => void) {}

  async load(): Promise<void> {}

  live(): boolean {
    return false;
  }

  private submit = (ev: SubmitEvent) => {
    ev.preventDefault();
    const form = new FormData(ev.target as HTMLFormElement);
    const get = (k: string) => String(form.get(k) ?? '').trim();
    saveCredentials(get('accessKeyId') ? { accessKeyId: get('accessKeyId'), secretAccessKey: get('secretAccessKey'), ...(get('sessionToken') ? { sessionToken: get('sessionToken') } : {}), region: get('region') || 'us-east-1' } : undefined);
    this.saved = true;
    this.redraw();
  };

  view() {
    const c = savedCredentials();
    return html`<h1>Credentials</h1>
      <p>In AWS the API accepts only signed requests: give the console an access key of a principal allowed to call it (for example from <code>aws configure export-credentials</code>). They stay in this browser tab and leave with it. Leave them empty to send unsigned requests, as the embedded runtime accepts.</p>
      <form @submit=${this.submit} class="credentials">
        <label>Access key id <input name="accessKeyId" autocomplete="off" .value=${c?.accessKeyId ?? ''} /></label>
        <label>Secret access key <input name="secretAccessKey" type="password" autocomplete="off" .value=${c?.secretAccessKey ?? ''} /></label>
        <label>Session token (optional) <input name="sessionToken" type="password" autocomplete="off" .value=${c?.sessionToken ?? ''} /></label>
        <label>Region <input name="region" .value=${c?.region ?? 'us-east-1'} /></label>
        <button type="submit">Save</button>
      </form>
      ${this.saved ? html`<p role="status">${c ? 'Saved: requests are signed.' : 'Cleared: requests are sent unsigned.'}</p>` : ''}`;
  }
}
