// breedbot sandbox page: plain DOM, talks to /sandbox/api and listens on /sandbox-ws.
const OPTION = {
  SUB_COMMAND: 1,
  SUB_COMMAND_GROUP: 2,
  STRING: 3,
  INTEGER: 4,
  BOOLEAN: 5,
  USER: 6,
  CHANNEL: 7,
  ROLE: 8,
  MENTIONABLE: 9,
  NUMBER: 10,
  ATTACHMENT: 11,
};

const $ = (id) => document.getElementById(id);
const state = { users: [], guilds: [], bot: null, userId: '', channelId: '', messages: new Map() };

async function api(path, init) {
  const res = await fetch(`/sandbox/api${path}`, init);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}
const postJson = (path, body) =>
  api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const currentGuild = () => state.guilds.find((g) => g.channels.some((c) => c.id === state.channelId));
const userName = (id) =>
  id === state.bot?.id ? 'breedbot' : (state.users.find((u) => u.id === id)?.name ?? id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== undefined && c !== null));
  return node;
}

const escapeHtml = (text) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/**
 * Discord's markdown, as its client shows it: a backslash before punctuation shows the character itself
 * (`mobilenet\_v1` reads mobilenet_v1), ```code blocks``` and `code` are verbatim, then **bold**, __underline__,
 * *italic* / _italic_, ~~strike~~, ||spoiler||, masked links [text](https://…) (a link to a message on this page
 * jumps to it), bare https:// links and <@mentions>. Line breaks stay (the containers are white-space: pre-wrap).
 * Verbatim pieces are set aside as private-use placeholders so no later rule reads inside them.
 */
function markdown(text) {
  const kept = [];
  const keep = (html) => `\uE000${kept.push(html) - 1}\uE001`;
  let s = text.replace(/[\uE000\uE001]/g, '');
  s = s.replace(/```(?:[\w+-]*\n)?([\s\S]*?)```/g, (_, code) =>
    keep(`<pre><code>${escapeHtml(code)}</code></pre>`),
  );
  s = s.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_, _ticks, code) =>
    keep(`<code>${escapeHtml(code)}</code>`),
  );
  s = s.replace(/\\([!-/:-@[-`{-~])/g, (_, c) => keep(escapeHtml(c))); // any ASCII punctuation
  s = escapeHtml(s);
  s = s.replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, (_, label, url) =>
    keep(`<a href="${url}" target="_blank" rel="noopener" data-testid="message-link">${label}</a>`),
  );
  s = s.replace(
    /(^|[\s(])(https?:\/\/[^\s<]+[^\s<.,:;"')\]])/g,
    (_, before, url) => before + keep(`<a href="${url}" target="_blank" rel="noopener">${url}</a>`),
  );
  s = s
    .replace(/\*\*([\s\S]+?)\*\*(?!\*)/g, '<strong>$1</strong>')
    .replace(/__([\s\S]+?)__(?!_)/g, '<u>$1</u>')
    .replace(/\*(?!\s)([\s\S]+?)\*(?!\*)/g, '<em>$1</em>')
    .replace(/(^|[^\w])_(?!\s)([\s\S]+?)_(?![\w_])/g, '$1<em>$2</em>')
    .replace(/~~([\s\S]+?)~~/g, '<s>$1</s>')
    .replace(/\|\|([\s\S]+?)\|\|/g, '<span class="spoiler">$1</span>')
    .replace(/&lt;@!?(\d+)&gt;/g, (_, id) => `<strong>@${escapeHtml(userName(id))}</strong>`);
  // Placeholders may nest (a link label holding an escape), so restore until none is left.
  while (/\uE000\d+\uE001/.test(s)) s = s.replace(/\uE000(\d+)\uE001/g, (_, i) => kept[Number(i)]);
  return s;
}

// ---- state and channels ------------------------------------------------------------------------------

async function loadState() {
  const s = await api('/state');
  state.users = s.users;
  state.guilds = s.guilds;
  state.bot = s.bot;
  $('bot-status').textContent = s.botConnected ? 'bot: online' : 'bot: offline';
  $('bot-status').className = `status ${s.botConnected ? 'ok' : 'bad'}`;
  if (!state.userId) {
    state.userId = s.users[0].id;
    $('user-select').replaceChildren(...s.users.map((u) => el('option', { value: u.id }, u.name)));
  }
  if (!state.channelId) {
    const all = s.guilds.flatMap((g) => g.channels);
    state.channelId = (all.find((c) => c.name === 'dog-photos') ?? all[0]).id;
  }
  renderChannels();
  renderCommandForm();
}

function renderChannels() {
  $('channel-list').replaceChildren(
    ...state.guilds.flatMap((g) => [
      el('div', { class: 'guild' }, g.name),
      ...g.channels.map((c) =>
        el(
          'button',
          {
            type: 'button',
            class: `channel${c.id === state.channelId ? ' active' : ''}`,
            'data-testid': 'channel',
            'data-channel-name': c.name,
            onclick: () => selectChannel(c.id),
          },
          `# ${c.name}`,
        ),
      ),
    ]),
  );
  const channel = state.guilds.flatMap((g) => g.channels).find((c) => c.id === state.channelId);
  $('channel-title').textContent = `# ${channel?.name ?? ''}`;
}

async function selectChannel(id) {
  state.channelId = id;
  renderChannels();
  renderCommandForm();
  await loadMessages();
}

async function loadMessages() {
  const list = await api(`/messages?channelId=${state.channelId}&userId=${state.userId}`);
  state.messages = new Map(list.map((m) => [m.id, m]));
  $('messages').replaceChildren(...list.map(renderMessage));
  scrollToEnd();
}

const scrollToEnd = () => ($('messages').scrollTop = $('messages').scrollHeight);

// ---- messages --------------------------------------------------------------------------------------------

function renderMessage(m) {
  const li = $('message-template').content.firstElementChild.cloneNode(true);
  const fromBot = m.author.id === state.bot?.id;
  li.dataset.messageId = m.id;
  li.dataset.author = fromBot ? 'bot' : 'person';
  if (m.flags & 64) li.classList.add('ephemeral');
  if (m.flags & 128) li.classList.add('loading');
  li.querySelector('.author').textContent = m.author.global_name ?? m.author.username;
  li.querySelector('time').textContent = new Date(m.timestamp).toLocaleTimeString();
  const badge = [];
  if (m.interaction_metadata) badge.push(`used a command (${userName(m.interaction_metadata.user.id)})`);
  if (m.edited_timestamp) badge.push('(edited)');
  if (m.flags & 64) badge.push('· only you can see this');
  li.querySelector('.badge').textContent = badge.join(' ');
  if (m.message_reference?.message_id) {
    const target = state.messages.get(m.message_reference.message_id);
    li.prepend(
      el('div', { class: 'reply-to' }, `↪ replying to ${target ? userName(target.author.id) : 'a message'}`),
    );
  }
  li.querySelector('.content').innerHTML = markdown(m.content ?? '');
  li.querySelector('.attachments').replaceChildren(
    ...m.attachments.map((a) =>
      a.content_type?.startsWith('image/')
        ? imageAttachment(a)
        : el('a', { href: a.url, target: '_blank' }, a.filename),
    ),
  );
  li.querySelector('.embeds').replaceChildren(...m.embeds.map(renderEmbed));
  li.querySelector('.components').replaceChildren(...renderComponents(m));
  li.querySelector('.reactions').replaceChildren(...renderReactions(m));
  const messageCommands = (currentGuild()?.commands ?? []).filter((c) => c.type === 3);
  li.querySelector('.apps').replaceChildren(
    ...messageCommands.map((c) =>
      el(
        'button',
        { type: 'button', 'data-testid': 'message-command', onclick: () => runMessageCommand(c.name, m.id) },
        `Apps ▸ ${c.name}`,
      ),
    ),
    copyLinkButton(m),
  );
  return li;
}

/** An image attachment; its description (the alt text, e.g. of a chart) is shown under it as well. */
function imageAttachment(a) {
  const img = el('img', { src: a.url, alt: a.description ?? a.filename, 'data-testid': 'attachment-image' });
  if (!a.description) return img;
  return el(
    'figure',
    { class: 'attachment' },
    img,
    el('figcaption', { 'data-testid': 'attachment-alt' }, a.description),
  );
}

/** "Copy message link", as in Discord's message menu: the link `/label message:` accepts. */
function copyLinkButton(m) {
  const button = el(
    'button',
    { type: 'button', 'data-testid': 'copy-link', 'data-link': m.link, title: m.link },
    'Copy message link',
  );
  button.onclick = async () => {
    try {
      await navigator.clipboard.writeText(m.link);
      button.textContent = 'Copied!';
    } catch {
      // No clipboard access (an insecure origin, a denied permission): show it to copy by hand.
      window.prompt('Copy the message link:', m.link);
    }
    setTimeout(() => (button.textContent = 'Copy message link'), 1500);
  };
  return button;
}

/** The message's buttons (e.g. /label's "Label it …" / "Cancel"); a click is an interaction for the bot. */
function renderComponents(m) {
  const buttons = (m.components ?? []).flatMap((row) => row.components ?? []).filter((c) => c.type === 2);
  return buttons.map((b) =>
    el(
      'button',
      {
        type: 'button',
        class: b.style === 1 ? 'primary' : '',
        'data-testid': 'component-button',
        disabled: b.disabled ? '' : undefined,
        onclick: () =>
          postJson('/buttons', { messageId: m.id, customId: b.custom_id, userId: state.userId }).catch(
            showError('composer-error'),
          ),
      },
      [b.emoji?.name, b.label].filter(Boolean).join(' '),
    ),
  );
}

function renderEmbed(e) {
  if (e.type === 'image')
    return el(
      'div',
      { class: 'embed', 'data-testid': 'embed' },
      el('img', { src: e.url, alt: 'linked image' }),
    );
  const box = el('div', { class: 'embed', 'data-testid': 'embed' });
  if (e.color !== undefined) box.style.borderLeftColor = `#${e.color.toString(16).padStart(6, '0')}`;
  if (e.author?.name) box.append(el('div', { class: 'hint' }, e.author.name));
  if (e.title) box.append(el('div', { class: 'embed-title', 'data-testid': 'embed-title' }, e.title));
  if (e.description) {
    const d = el('div', { class: 'embed-description', 'data-testid': 'embed-description' });
    d.innerHTML = markdown(e.description);
    box.append(d);
  }
  if (e.fields?.length) {
    box.append(
      el(
        'div',
        { class: 'embed-fields' },
        ...e.fields.map((f) => {
          const value = el('div', { class: 'embed-field-value' });
          value.innerHTML = markdown(f.value);
          return el(
            'div',
            { class: `embed-field${f.inline ? ' inline' : ''}`, 'data-testid': 'embed-field' },
            el('div', { class: 'embed-field-name' }, f.name),
            value,
          );
        }),
      ),
    );
  }
  if (e.image?.url) box.append(el('img', { src: e.image.url, alt: '' }));
  if (e.thumbnail?.url) box.append(el('img', { src: e.thumbnail.url, alt: '' }));
  if (e.footer?.text)
    box.append(el('div', { class: 'embed-footer', 'data-testid': 'embed-footer' }, e.footer.text));
  return box;
}

/** Buttons for the reactions the message really has (an error or /model info reply has none). */
function renderReactions(m) {
  const emojis = [...new Set(m.reactions.map((r) => r.emoji.name))];
  return emojis.map((emoji) => {
    const r = m.reactions.find((x) => x.emoji.name === emoji);
    const mine = r?.users.includes(state.userId) ?? false;
    return el(
      'button',
      {
        type: 'button',
        class: mine ? 'mine' : '',
        'data-testid': 'reaction-button',
        'data-emoji': emoji,
        'aria-pressed': String(mine),
        title: r ? r.users.map(userName).join(', ') : 'react',
        onclick: () =>
          postJson('/reactions', { messageId: m.id, userId: state.userId, emoji, add: !mine }).catch(
            showError('composer-error'),
          ),
      },
      emoji,
      r ? el('span', { class: 'count', 'data-testid': 'reaction-count' }, String(r.count)) : undefined,
    );
  });
}

function upsertMessage(m) {
  if (m.channel_id !== state.channelId) return;
  if (m.flags & 64 && m.interaction_metadata?.user.id !== state.userId) return;
  state.messages.set(m.id, m);
  const node = renderMessage(m);
  const existing = $('messages').querySelector(`[data-message-id="${m.id}"]`);
  const atEnd = $('messages').scrollHeight - $('messages').scrollTop - $('messages').clientHeight < 40;
  if (existing) existing.replaceWith(node);
  else $('messages').append(node);
  if (atEnd || !existing) scrollToEnd();
}

// ---- posting ----------------------------------------------------------------------------------------------

const showError = (id) => (error) => ($(id).textContent = error.message);

async function sendMessage(event) {
  event.preventDefault();
  $('composer-error').textContent = '';
  const form = new FormData();
  form.set('channelId', state.channelId);
  form.set('userId', state.userId);
  form.set('content', $('message-input').value.trim());
  const file = $('file-input').files[0];
  if (file) form.set('file', file);
  try {
    await api('/messages', { method: 'POST', body: form });
    $('message-input').value = '';
    $('file-input').value = '';
  } catch (error) {
    showError('composer-error')(error);
  }
}

// ---- slash commands -------------------------------------------------------------------------------------

/** Every runnable chat-input command path, e.g. "label", "model rollback". */
function commandEntries() {
  const entries = [];
  for (const c of (currentGuild()?.commands ?? []).filter((x) => x.type === 1)) {
    const subs = c.options.filter(
      (o) => o.type === OPTION.SUB_COMMAND || o.type === OPTION.SUB_COMMAND_GROUP,
    );
    if (!subs.length)
      entries.push({ path: c.name, description: c.description, options: c.options, command: c });
    for (const s of subs) {
      if (s.type === OPTION.SUB_COMMAND)
        entries.push({
          path: `${c.name} ${s.name}`,
          description: s.description,
          options: s.options ?? [],
          command: c,
        });
      else
        for (const g of s.options ?? [])
          entries.push({
            path: `${c.name} ${s.name} ${g.name}`,
            description: g.description,
            options: g.options ?? [],
            command: c,
          });
    }
  }
  return entries;
}

function renderCommandForm() {
  const entries = commandEntries();
  $('command-form').hidden = entries.length === 0;
  $('no-commands').hidden = entries.length > 0;
  const select = $('command-select');
  const previous = select.value;
  select.replaceChildren(...entries.map((e) => el('option', { value: e.path }, `/${e.path}`)));
  if (entries.some((e) => e.path === previous)) select.value = previous;
  renderOptions();
}

function renderOptions() {
  const entry = commandEntries().find((e) => e.path === $('command-select').value);
  // Our commands already say "(moderators)" in their description; add it only where it is missing.
  const forModerators =
    entry?.command.default_member_permissions && !/\(moderators\)/i.test(entry.description);
  $('command-description').textContent = entry
    ? entry.description + (forModerators ? ' (moderators)' : '')
    : '';
  $('command-options').replaceChildren(...(entry?.options ?? []).map((o) => renderOption(entry, o)));
}

function renderOption(entry, o) {
  const id = `option-${o.name}`;
  const label = el(
    'label',
    { for: id },
    o.name,
    o.required ? el('span', { class: 'required' }, ' *') : undefined,
    el('span', { class: 'hint' }, ` ${o.description}`),
  );
  let input;
  const common = { id, name: o.name, 'data-testid': id, 'data-type': String(o.type) };
  if (o.choices?.length) {
    input = el(
      'select',
      common,
      el('option', { value: '' }, ''),
      ...o.choices.map((c) => el('option', { value: String(c.value) }, c.name)),
    );
  } else if (o.type === OPTION.BOOLEAN) {
    input = el(
      'select',
      common,
      el('option', { value: '' }, ''),
      el('option', { value: 'true' }, 'true'),
      el('option', { value: 'false' }, 'false'),
    );
  } else if (o.type === OPTION.USER || o.type === OPTION.MENTIONABLE) {
    input = el(
      'select',
      common,
      el('option', { value: '' }, ''),
      ...state.users.map((u) => el('option', { value: u.id }, u.name)),
    );
  } else if (o.type === OPTION.CHANNEL) {
    input = el(
      'select',
      common,
      el('option', { value: '' }, ''),
      ...(currentGuild()?.channels ?? []).map((c) => el('option', { value: c.id }, `#${c.name}`)),
    );
  } else if (o.type === OPTION.ATTACHMENT) {
    input = el('input', { ...common, type: 'file', accept: 'image/*' });
  } else if (o.type === OPTION.INTEGER || o.type === OPTION.NUMBER) {
    input = el('input', { ...common, type: 'number', step: o.type === OPTION.INTEGER ? '1' : 'any' });
  } else {
    input = el('input', { ...common, type: 'text', autocomplete: 'off' });
  }
  const box = el('div', { class: 'option' }, label, input);
  if (o.autocomplete) {
    const list = el('ul', { class: 'choices', 'data-testid': `autocomplete-${o.name}` });
    box.append(list);
    let timer;
    const suggest = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        try {
          const { choices } = await postJson('/commands/autocomplete', {
            name: entry.path,
            userId: state.userId,
            channelId: state.channelId,
            focusedOption: o.name,
            value: input.value,
            options: collectOptions(entry, o.name),
          });
          list.replaceChildren(
            ...choices.map((c) =>
              el(
                'li',
                {},
                el(
                  'button',
                  {
                    type: 'button',
                    'data-testid': 'autocomplete-choice',
                    onclick: () => ((input.value = String(c.value)), list.replaceChildren()),
                  },
                  c.name,
                ),
              ),
            ),
          );
        } catch (error) {
          list.replaceChildren(el('li', { class: 'hint' }, error.message));
        }
      }, 200);
    };
    input.addEventListener('input', suggest);
    input.addEventListener('focus', suggest);
  }
  return box;
}

/** The filled-in non-file options, typed for the server (it converts to Discord's option types). */
function collectOptions(entry, skip) {
  const options = {};
  for (const o of entry.options) {
    if (o.name === skip || o.type === OPTION.ATTACHMENT) continue;
    const value = $(`option-${o.name}`)?.value;
    if (value === undefined || value === '') continue;
    options[o.name] =
      o.type === OPTION.INTEGER || o.type === OPTION.NUMBER
        ? Number(value)
        : o.type === OPTION.BOOLEAN
          ? value === 'true'
          : value;
  }
  return options;
}

async function runCommand(event) {
  event.preventDefault();
  $('command-error').textContent = '';
  const entry = commandEntries().find((e) => e.path === $('command-select').value);
  if (!entry) return;
  const form = new FormData();
  form.set('name', entry.path);
  form.set('userId', state.userId);
  form.set('channelId', state.channelId);
  form.set('options', JSON.stringify(collectOptions(entry)));
  for (const o of entry.options.filter((x) => x.type === OPTION.ATTACHMENT)) {
    const file = $(`option-${o.name}`).files[0];
    if (file) form.set(`file:${o.name}`, file);
  }
  try {
    await api('/commands/run', { method: 'POST', body: form });
    renderOptions();
  } catch (error) {
    showError('command-error')(error);
  }
}

function runMessageCommand(name, targetMessageId) {
  postJson('/commands/message', {
    name,
    userId: state.userId,
    channelId: state.channelId,
    targetMessageId,
  }).catch(showError('command-error'));
}

// ---- direct messages (e.g. the ❌ help goes to the person who clicked it) -----------------------------------

function renderDm(m) {
  const li = el('li', { class: 'dm', 'data-testid': 'dm', 'data-message-id': m.id });
  li.innerHTML = markdown(m.content ?? '');
  return li;
}

async function loadDms() {
  const list = await api(`/dms?userId=${state.userId}`);
  $('dm-list').replaceChildren(
    ...(list.length ? list.map(renderDm) : [el('li', { class: 'hint' }, 'None yet.')]),
  );
}

function addDm(m) {
  $('dm-list').querySelector('.hint')?.remove();
  $('dm-list').append(renderDm(m));
}

// ---- live updates ------------------------------------------------------------------------------------------

function connectLive(delay = 500) {
  const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/sandbox-ws`);
  ws.onopen = () => {
    $('live-status').textContent = 'live';
    $('live-status').className = 'status ok';
    delay = 500;
    loadMessages();
  };
  ws.onmessage = (event) => {
    const e = JSON.parse(event.data);
    if (e.type === 'commands') loadState();
    else if (e.type === 'dm') {
      if (e.recipientId === state.userId) addDm(e.message);
    } else if (e.type === 'delete') {
      state.messages.delete(e.id);
      $('messages').querySelector(`[data-message-id="${e.id}"]`)?.remove();
    } else if (e.message) upsertMessage(e.message);
  };
  ws.onclose = () => {
    $('live-status').textContent = 'live: reconnecting…';
    $('live-status').className = 'status bad';
    setTimeout(() => connectLive(Math.min(delay * 2, 5000)), delay);
  };
}

/** A click on a link to a message that is on the page scrolls to it instead of opening discord.com. */
function jumpToLinkedMessage(event) {
  const link = event.target.closest?.('a[data-testid="message-link"]');
  const id = link && /\/channels\/\d+\/\d+\/(\d+)$/.exec(link.getAttribute('href'))?.[1];
  const target = id && $('messages').querySelector(`[data-message-id="${id}"]`);
  if (!target) return;
  event.preventDefault();
  target.scrollIntoView({ block: 'center' });
  target.classList.add('highlight');
  setTimeout(() => target.classList.remove('highlight'), 1500);
}

async function start() {
  $('messages').addEventListener('click', jumpToLinkedMessage);
  $('composer').addEventListener('submit', sendMessage);
  $('command-form').addEventListener('submit', runCommand);
  $('command-select').addEventListener('change', renderOptions);
  $('user-select').addEventListener('change', async (e) => {
    state.userId = e.target.value;
    await loadMessages();
    await loadDms();
  });
  await loadState();
  await loadMessages();
  await loadDms();
  connectLive();
  setInterval(() => loadState().catch(() => {}), 5000);
}

start();
