// What the Action's main and post steps share: its inputs, its flags, the control plane.

/** An input of the workflow's `with:`, as the runner passes it. */
export const input = (name) => (process.env[`INPUT_${name.toUpperCase()}`] ?? "").trim();

/** The `flags` input as arguments: split on white space (no quoting). */
export const splitFlags = (line) => line.split(/\s+/).filter(Boolean);

/** The value of `--flag VALUE` or `--flag=VALUE` in `flags`, if any. */
export function flagValue(flags, flag) {
  for (const [i, arg] of flags.entries()) {
    if (arg === flag) return flags[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

/** GETs a control-plane path of the emulator at `url` and decodes its JSON. */
export async function control(url, path, token) {
  const answer = await fetch(`${url}/__emulator${path}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  if (!answer.ok) throw new Error(`GET /__emulator${path}: HTTP ${answer.status}: ${await answer.text()}`);
  return answer.json();
}

/** The default application and its owner: the flags' owner, or a fixture's first owner client. */
export async function owner(url, token) {
  const info = await control(url, "/info", token);
  const appId = info.default_app_id;
  const [app] = (await control(url, `/apps/${encodeURIComponent(appId)}/snapshot`, token)).apps;
  const client = app.clients.find((c) =>
    info.owner_client_id ? c._id === info.owner_client_id : (c.features ?? []).includes("owner"));
  return { appId, clientId: client._id, clientSecret: client._secret };
}
