// The team dashboard: reads teamDashboard, the open incidents and the catalog from /graphql with
// the API token shared with GraphiQL (localStorage 'taio.token') and renders them in Japanese or
// English. It follows the team's incident events over the WebSocket (live.js) and refreshes, without
// reloading the page, when they arrive; while that connection is down it polls every 30 seconds.
(function () {
  'use strict';

  const TOKEN_KEY = 'taio.token';
  const LANG_KEY = 'taio.lang';
  const TEAM_KEY = 'taio.dashboard.team';
  const DAYS_KEY = 'taio.dashboard.days';
  const ENDPOINT = '/graphql';
  const POLL_MS = 30000;
  // Ages and running SLA clocks move without any event: even while live, refresh this often.
  const LIVE_POLL_MS = 300000;
  // A burst of events (a bulk import, a lead closing a dozen duplicates) costs one refresh: wait a
  // moment for the rest of it, and start refreshes at least this far apart.
  const LIVE_SETTLE_MS = 250;
  const LIVE_SPACING_MS = 1500;
  const CARDS_PER_STAGE = 8;
  const DAY_MS = 86400000;

  const STAGES = ['D1', 'D2', 'D3', 'D4', 'D5', 'D6', 'D7'];
  const MAIN_LINE = ['D1', 'D3', 'D4', 'D5', 'D7'];
  const CLOCKS = ['ACKNOWLEDGE', 'TRIAGE', 'CONTAIN', 'RECOVER', 'CLOSE'];
  const PRIORITIES = ['P1', 'P2', 'P3', 'P4'];
  const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
  const HEAT_LEVELS = 5;
  // Problems that polling cannot cure: they wait for a new token.
  const FATAL = ['signIn', 'rejected', 'noTeams'];

  const TEXT = {
    en: {
      pageTitle: 'Taiō dashboard',
      skip: 'Skip to the dashboard',
      dashboard: 'Dashboard',
      team: 'Team',
      period: 'Period',
      last30: 'Last 30 days',
      last90: 'Last 90 days',
      last365: 'Last 365 days',
      language: 'Language',
      refresh: 'Refresh',
      apiToken: 'API token',
      save: 'Save',
      signOut: 'Sign out',
      tokenSaved: 'Token saved',
      noToken: 'No token',
      pasteToken: 'Paste an API token',
      replaceToken: 'Paste a new token to replace it',
      updated: 'Updated {time}',
      loading: 'Loading…',
      liveConnecting: 'Connecting…',
      liveLive: 'Live',
      liveReconnecting: 'Reconnecting…',
      liveStopped: 'Live updates off',
      liveConnectingNote: 'Opening the live connection.',
      liveLiveNote: 'Changes appear as they happen.',
      liveReconnectingNote: 'Refreshing every {seconds} seconds until live updates are back.',
      liveStoppedNote: 'Refreshing every {seconds} seconds. Press Refresh to try live updates again.',
      signIn: 'Paste an API token in the bar above and press Save to see your team’s dashboard.',
      rejected: 'The saved token was refused. Paste a valid API token and press Save.',
      noTeams: 'This token’s person belongs to no team.',
      failed: 'Could not load the dashboard: {message}',
      summary: 'Summary',
      openIncidents: 'Open incidents',
      oldestOpen: 'Oldest open',
      none: 'None',
      reported: 'Reported',
      closed: 'Closed',
      inPeriod: 'in the period',
      servicesExercised: 'Services exercised',
      ofServices: 'of {total} ({ratio})',
      slaBreaches: 'SLA breaches',
      slaBreachesNote: '{running} still running',
      board: 'Open incidents by D-stage',
      firstOnly: 'Cards show the first {shown} of {total} open incidents.',
      owned: 'Owned',
      unowned: 'Unowned',
      onHold: 'On hold',
      handlingNote: 'Acknowledged open incidents, by handling state.',
      pendingNotifications: 'Pending notifications',
      notificationNote: 'Open incidents with notifications still planned.',
      noCards: 'No open incidents',
      more: '+{n} more',
      unassigned: 'Unassigned',
      unclassified: 'Unclassified',
      age: 'Age',
      owner: 'Owner',
      severity: 'Severity',
      priority: 'Priority',
      count: 'Count',
      clocks: 'Response clocks',
      clocksNote: 'Measured from the report, over incidents reported in the period.',
      clock: 'Clock',
      median: 'Median',
      p90: '90th percentile',
      medianByPriority: 'Median by priority',
      timeInStage: 'Time in stage',
      stage: 'Stage',
      sla: 'SLA breaches',
      slaNote: 'Breached / measured per clock and priority, with the target.',
      target: 'target {duration}',
      running: '+{n} running',
      slaCell: '{breached} of {measured} breached',
      backlog: 'Backlog',
      coverage: 'Catalog coverage',
      coverageNote: '{exercised} of {total} services exercised by actions in the period ({ratio}).',
      uses: 'Actions',
      usesOne: '{n} action',
      usesMany: '{n} actions',
      declaredNotExercised: 'Declared, not exercised',
      exercisedNotDeclared: 'Exercised, not declared',
      IN_HOUSE: 'In house',
      OUTSOURCED: 'Outsourced',
      NOT_PROVIDED: 'Not provided',
      category: 'Category',
      months: 'Services used per category and month',
      quality: 'Quality',
      qualityReported: 'Reported in the period',
      falsePositives: 'False positives',
      closedInPeriod: 'Of those, closed',
      reopened: 'Reopened',
      failedContainments: 'Failed containments (D-5 → D-4)',
      workload: 'Workload',
      person: 'Person',
      openOwned: 'Open owned',
      actions: 'Actions',
      effort: 'Effort',
      noWorkload: 'No open incidents or actions in the period.',
      CRITICAL: 'Critical',
      HIGH: 'High',
      MEDIUM: 'Medium',
      LOW: 'Low',
      ACKNOWLEDGE: 'Time to acknowledge',
      TRIAGE: 'Time to triage',
      CONTAIN: 'Time to contain',
      RECOVER: 'Time to recover',
      CLOSE: 'Time to close',
      units: { d: ' d', h: ' h', m: ' min', s: ' s', sep: ' ' },
    },
    ja: {
      pageTitle: 'Taiō ダッシュボード',
      skip: 'ダッシュボードへ移動',
      dashboard: 'ダッシュボード',
      team: 'チーム',
      period: '期間',
      last30: '過去30日',
      last90: '過去90日',
      last365: '過去365日',
      language: '言語',
      refresh: '更新',
      apiToken: 'APIトークン',
      save: '保存',
      signOut: 'サインアウト',
      tokenSaved: 'トークン保存済み',
      noToken: 'トークン未設定',
      pasteToken: 'APIトークンを貼り付け',
      replaceToken: '置き換えるトークンを貼り付け',
      updated: '{time} 更新',
      loading: '読み込み中…',
      liveConnecting: '接続中…',
      liveLive: 'ライブ',
      liveReconnecting: '再接続中…',
      liveStopped: 'ライブ更新停止',
      liveConnectingNote: 'ライブ接続を開いています。',
      liveLiveNote: '変更は発生と同時に反映されます。',
      liveReconnectingNote: 'ライブ更新が復旧するまで {seconds} 秒ごとに更新します。',
      liveStoppedNote: '{seconds} 秒ごとに更新します。「更新」を押すとライブ更新を再試行します。',
      signIn: '上のバーに API トークンを貼り付けて「保存」を押すと、チームのダッシュボードが表示されます。',
      rejected: '保存されたトークンは拒否されました。有効な API トークンを貼り付けて「保存」を押してください。',
      noTeams: 'このトークンの利用者はどのチームにも所属していません。',
      failed: 'ダッシュボードを読み込めませんでした: {message}',
      summary: '概要',
      openIncidents: '対応中のインシデント',
      oldestOpen: '最も古い対応中',
      none: 'なし',
      reported: '報告',
      closed: 'クローズ',
      inPeriod: '期間内',
      servicesExercised: '実施したサービス',
      ofServices: '{total} 中 ({ratio})',
      slaBreaches: 'SLA 違反',
      slaBreachesNote: 'うち進行中 {running}',
      board: 'D ステージ別の対応中インシデント',
      firstOnly: '対応中 {total} 件のうち最初の {shown} 件をカードに表示しています。',
      owned: '担当者あり',
      unowned: '担当者なし',
      onHold: '保留中',
      handlingNote: '受付済みの対応中インシデント(ハンドリング状況別)。',
      pendingNotifications: '未実施の通知',
      notificationNote: '通知が予定のまま残っている対応中インシデント。',
      noCards: '対応中のインシデントなし',
      more: 'ほか {n} 件',
      unassigned: '担当者なし',
      unclassified: '未分類',
      age: '経過',
      owner: '担当者',
      severity: '深刻度',
      priority: '優先度',
      count: '件数',
      clocks: '対応時間',
      clocksNote: '報告時刻から計測(期間内に報告されたインシデント)。',
      clock: '指標',
      median: '中央値',
      p90: '90 パーセンタイル',
      medianByPriority: '優先度別の中央値',
      timeInStage: 'ステージ滞在時間',
      stage: 'ステージ',
      sla: 'SLA 違反',
      slaNote: '指標・優先度ごとの違反数 / 計測数と目標時間。',
      target: '目標 {duration}',
      running: '進行中 +{n}',
      slaCell: '{measured} 件中 {breached} 件違反',
      backlog: 'バックログ',
      coverage: 'サービスカタログの実施状況',
      coverageNote: '期間内のアクションで {total} サービス中 {exercised} サービスを実施 ({ratio})。',
      uses: 'アクション数',
      usesOne: '{n} 件',
      usesMany: '{n} 件',
      declaredNotExercised: '提供宣言あり・未実施',
      exercisedNotDeclared: '実施あり・提供宣言なし',
      IN_HOUSE: '自組織',
      OUTSOURCED: '外部委託',
      NOT_PROVIDED: '提供なし',
      category: 'カテゴリ',
      months: 'カテゴリ別・月別のサービス実施数',
      quality: '品質',
      qualityReported: '期間内の報告',
      falsePositives: '誤検知',
      closedInPeriod: 'うちクローズ済み',
      reopened: '再オープン',
      failedContainments: '封じ込め失敗 (D-5 → D-4)',
      workload: '作業負荷',
      person: '担当者',
      openOwned: '担当中',
      actions: 'アクション',
      effort: '工数',
      noWorkload: '期間内の担当インシデント・アクションはありません。',
      CRITICAL: '緊急',
      HIGH: '高',
      MEDIUM: '中',
      LOW: '低',
      ACKNOWLEDGE: '受付までの時間',
      TRIAGE: '分類までの時間',
      CONTAIN: '封じ込めまでの時間',
      RECOVER: '復旧までの時間',
      CLOSE: 'クローズまでの時間',
      units: { d: '日', h: '時間', m: '分', s: '秒', sep: '' },
    },
  };

  const CONTEXT_QUERY = `query DashboardContext {
  me { teams { role team { id key name } } }
  catalog {
    categories { code titleJa titleEn services { code titleJa titleEn } }
    stages { stage code titleJa titleEn }
  }
}`;

  const STATS = 'count medianSeconds p90Seconds';
  // eventCursor comes first so that it is read no later than the figures: an event that commits
  // meanwhile is then replayed (one refresh too many) rather than missed.
  const DASHBOARD_QUERY = `query Dashboard($team: ID!, $from: DateTime) {
  eventCursor
  teamDashboard(teamId: $team, from: $from) {
    from to generatedAt openIncidents
    backlogBySeverity { severity count }
    backlogByPriority { priority count }
    backlogByStage { stage count owned unowned onHold pendingNotifications }
    oldestOpenIncident { key title reportedAt }
    flow { weekStart opened closed }
    clocks { clock overall { ${STATS} } byPriority { priority stats { ${STATS} } } }
    timeInStage { state stats { ${STATS} } }
    slaBreaches { clock priority targetSeconds measured breached runningBreached }
    quality { reported falsePositives falsePositiveShare closed reopened reopenRate failedContainments }
    workload { person { id name } openOwned actions effortMinutes }
    coverage {
      catalogServices exercisedCount ratio
      services { service { code } count }
      categoryMonths { category month count }
      portfolio { service { code } provision }
      declaredNotExercised { code }
      exercisedNotDeclared { code }
    }
  }
  incidents(filter: { teamId: $team, status: OPEN }, first: 100) {
    totalCount
    nodes { id key title severity priority stage reportedAt onHoldReason owner { name } }
  }
}`;

  const LIVE_QUERY = `subscription DashboardEvents($team: ID!, $after: String) {
  incidentEvents(teamId: $team, after: $after) { cursor kind incidentId }
}`;

  const $ = (id) => document.getElementById(id);
  const ui = {
    main: $('dash'),
    content: $('content'),
    message: $('message'),
    team: $('team'),
    period: $('period'),
    langJa: $('lang-ja'),
    langEn: $('lang-en'),
    refresh: $('refresh'),
    updated: $('updated'),
    live: $('live-status'),
    liveLabel: $('live-label'),
    tokenForm: $('token-form'),
    token: $('token'),
    tokenClear: $('token-clear'),
    tokenStatus: $('token-status'),
  };

  const state = {
    lang: initialLanguage(),
    teams: [],
    catalog: null,
    data: null,
    loadedAt: null,
    problem: null,
    seq: 0,
    timer: null,
    busy: false,
    refreshedAt: 0,
    live: {
      follower: null,
      team: null,
      phase: 'off',
      events: 0,
      timer: null,
      // Events came while the tab was hidden: refresh when it is shown.
      missed: false,
      // Events came during a refresh that may have read the figures before them.
      again: false,
    },
  };

  // ---- storage ----------------------------------------------------------------------------

  function load(key) {
    try {
      return window.localStorage.getItem(key) || '';
    } catch (_) {
      return '';
    }
  }

  function store(key, value) {
    try {
      if (value) {
        window.localStorage.setItem(key, value);
      } else {
        window.localStorage.removeItem(key);
      }
    } catch (_) {
      // Storage may be disabled; the page still works for this visit.
    }
  }

  function initialLanguage() {
    const saved = load(LANG_KEY);
    if (saved === 'ja' || saved === 'en') {
      return saved;
    }
    return (navigator.language || '').toLowerCase().startsWith('ja') ? 'ja' : 'en';
  }

  // ---- text and numbers -------------------------------------------------------------------

  function t(key, vars) {
    const text = TEXT[state.lang][key] ?? TEXT.en[key] ?? key;
    return typeof text === 'string' && vars
      ? text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''))
      : text;
  }

  function num(value) {
    return new Intl.NumberFormat(state.lang).format(value);
  }

  function pct(ratio) {
    if (ratio === null || ratio === undefined) {
      return '—';
    }
    return new Intl.NumberFormat(state.lang, { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
  }

  // Two units at most: "2 d 5 h", "3 h 20 min", "45 s" / "2日5時間".
  function duration(seconds) {
    if (seconds === null || seconds === undefined) {
      return '—';
    }
    const u = t('units');
    const s = Math.max(0, Math.round(seconds));
    const parts = [
      [Math.floor(s / 86400), u.d],
      [Math.floor((s % 86400) / 3600), u.h],
      [Math.floor((s % 3600) / 60), u.m],
      [s % 60, u.s],
    ];
    const first = parts.findIndex(([n]) => n > 0);
    if (first === -1) {
      return `0${u.s}`;
    }
    return parts
      .slice(first, first + 2)
      .filter(([n], i) => i === 0 || n > 0)
      .map(([n, unit]) => `${n}${unit}`)
      .join(u.sep);
  }

  function ageSeconds(iso) {
    return Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  }

  function stageInfo(stage) {
    return (state.catalog && state.catalog.stages.find((s) => s.stage === stage)) || null;
  }

  function stageCode(stage) {
    const info = stageInfo(stage);
    return info ? info.code : `${stage[0]}-${stage.slice(1)}`;
  }

  function title(item) {
    return state.lang === 'ja' ? item.titleJa : item.titleEn;
  }

  function stageTitle(stage) {
    const info = stageInfo(stage);
    return info ? title(info) : stage;
  }

  // ---- DOM helpers ------------------------------------------------------------------------

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) {
        continue;
      }
      if (key === 'class') {
        el.className = value;
      } else if (key === 'text') {
        el.textContent = value;
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) {
        el.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return el;
  }

  // A number the tests and scrapers can read: `data-metric` names it, `data-value` holds it raw.
  function metric(tag, name, value, shown, props) {
    const text = shown ?? (value === null ? '—' : num(value));
    return h(tag, { ...props, 'data-metric': name, 'data-value': value ?? '' }, text);
  }

  function hidden(text) {
    return h('span', { class: 'visually-hidden', text });
  }

  function table(caption, head, rows, props) {
    return h(
      'table',
      props,
      h('caption', { class: 'visually-hidden', text: caption }),
      [head].flat().length ? h('thead', null, head) : null,
      h('tbody', null, rows),
    );
  }

  function heatLevel(count, max) {
    return count > 0 && max > 0 ? Math.min(HEAT_LEVELS, Math.ceil((HEAT_LEVELS * count) / max)) : 0;
  }

  function meter(count, max) {
    const fill = h('span', { class: 'meter-fill' });
    fill.style.width = `${max > 0 ? Math.round((100 * count) / max) : 0}%`;
    return h('span', { class: 'meter', 'aria-hidden': 'true' }, fill);
  }

  // ---- rendering --------------------------------------------------------------------------

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.title = t('pageTitle');
    for (const el of document.querySelectorAll('[data-i18n]')) {
      el.textContent = t(el.dataset.i18n);
    }
    ui.langJa.setAttribute('aria-pressed', String(state.lang === 'ja'));
    ui.langEn.setAttribute('aria-pressed', String(state.lang === 'en'));
    renderToken();
    renderStatus();
    renderLive();
    renderMessage();
    render();
  }

  function renderToken() {
    const signedIn = load(TOKEN_KEY) !== '';
    ui.tokenStatus.textContent = signedIn ? t('tokenSaved') : t('noToken');
    ui.token.placeholder = signedIn ? t('replaceToken') : t('pasteToken');
    ui.tokenClear.disabled = !signedIn;
  }

  function renderStatus() {
    if (ui.main.dataset.state === 'loading' && !state.data) {
      ui.updated.textContent = t('loading');
    } else if (state.loadedAt) {
      ui.updated.textContent = t('updated', { time: state.loadedAt.toLocaleTimeString(state.lang) });
    } else {
      ui.updated.textContent = '';
    }
  }

  // `data-state` is the follower's state (off, connecting, live, reconnecting, stopped) and
  // `data-events` the events received since the page loaded, for tests and the curious.
  function renderLive() {
    const { phase, events } = state.live;
    ui.live.dataset.state = phase;
    ui.live.dataset.events = String(events);
    ui.live.hidden = phase === 'off';
    if (phase === 'off') {
      ui.liveLabel.textContent = '';
      ui.live.removeAttribute('title');
      return;
    }
    const key = `live${phase[0].toUpperCase()}${phase.slice(1)}`;
    ui.liveLabel.textContent = t(key);
    ui.live.title = t(`${key}Note`, { seconds: num(POLL_MS / 1000) });
  }

  function renderMessage() {
    const problem = state.problem;
    ui.message.hidden = !problem;
    ui.message.textContent = problem ? t(problem.key, problem.vars) : '';
  }

  function renderTeams() {
    const current = ui.team.value || load(TEAM_KEY);
    ui.team.replaceChildren(
      ...state.teams.map(({ team }) => h('option', { value: team.id, text: `${team.key} — ${team.name}` })),
    );
    if (state.teams.some(({ team }) => team.id === current)) {
      ui.team.value = current;
    }
    ui.team.disabled = state.teams.length === 0;
  }

  function render() {
    const data = state.data;
    ui.content.hidden = !data;
    if (!data) {
      return;
    }
    // Re-rendering replaces the panels' children: keep where the reader was.
    const scrolled = [...document.querySelectorAll('.table-wrap, .board')].map((el) => [el, el.scrollLeft]);
    const { scrollX, scrollY } = window;
    const { teamDashboard: dash, incidents } = data;
    renderKpis(dash);
    renderBoard(dash, incidents);
    renderClocks(dash);
    renderStageTimes(dash);
    renderSla(dash);
    renderBacklog(dash);
    renderCoverage(dash);
    renderMonths(dash);
    renderQuality(dash);
    renderWorkload(dash);
    for (const [el, left] of scrolled) {
      el.scrollLeft = left;
    }
    window.scrollTo(scrollX, scrollY);
  }

  function kpi(label, value, note, alert) {
    return h(
      'div',
      { class: alert ? 'kpi kpi-alert' : 'kpi' },
      h('span', { class: 'kpi-label', text: label }),
      value,
      note ? h('span', { class: 'kpi-note', title: note, text: note }) : null,
    );
  }

  function kpiMetric(name, value, shown) {
    return metric('span', name, value, shown, { class: 'kpi-value' });
  }

  function renderKpis(dash) {
    const oldest = dash.oldestOpenIncident;
    const oldestAge = oldest ? Math.round(ageSeconds(oldest.reportedAt)) : null;
    const closed = dash.flow.reduce((sum, week) => sum + week.closed, 0);
    const breached = dash.slaBreaches.reduce((sum, b) => sum + b.breached + b.runningBreached, 0);
    const running = dash.slaBreaches.reduce((sum, b) => sum + b.runningBreached, 0);
    const cov = dash.coverage;
    const coverageNote = t('ofServices', { total: num(cov.catalogServices), ratio: pct(cov.ratio) });
    $('kpis').replaceChildren(
      kpi(t('openIncidents'), kpiMetric('open-incidents', dash.openIncidents)),
      kpi(
        t('oldestOpen'),
        oldest
          ? kpiMetric('oldest-open-age', oldestAge, duration(oldestAge))
          : h('span', { class: 'kpi-value', text: t('none') }),
        oldest ? `${oldest.key} ${oldest.title}` : null,
      ),
      kpi(t('reported'), kpiMetric('reported', dash.quality.reported), t('inPeriod')),
      kpi(t('closed'), kpiMetric('closed', closed), t('inPeriod')),
      kpi(t('servicesExercised'), kpiMetric('coverage-exercised', cov.exercisedCount), coverageNote),
      kpi(
        t('slaBreaches'),
        kpiMetric('sla-breaches', breached),
        running > 0 ? t('slaBreachesNote', { running: num(running) }) : null,
        breached > 0,
      ),
    );
  }

  function severityBadge(severity) {
    const label = severity ? t(severity) : t('unclassified');
    return h('span', { class: `badge sev sev-${severity || 'NONE'}` }, hidden(`${t('severity')}: `), label);
  }

  function priorityBadge(priority) {
    const label = priority || '—';
    return h('span', { class: `badge prio prio-${priority || 'NONE'}` }, hidden(`${t('priority')}: `), label);
  }

  // The largest unit only: cards have room for "4 d", not "4 d 3 h".
  function age(seconds) {
    const u = t('units');
    const s = Math.max(0, Math.floor(seconds));
    for (const [size, unit] of [
      [86400, u.d],
      [3600, u.h],
      [60, u.m],
    ]) {
      if (s >= size) {
        return `${Math.floor(s / size)}${unit}`;
      }
    }
    return `${s}${u.s}`;
  }

  function card(incident) {
    return h(
      'li',
      { class: `card prio-edge-${incident.priority || 'NONE'}` },
      h('span', { class: 'card-key mono', text: incident.key }),
      h('p', { class: 'card-title', title: incident.title, text: incident.title }),
      h(
        'div',
        { class: 'card-meta' },
        severityBadge(incident.severity),
        incident.priority ? priorityBadge(incident.priority) : null,
        incident.onHoldReason
          ? h('span', { class: 'badge hold', title: incident.onHoldReason, text: t('onHold') })
          : null,
      ),
      h(
        'div',
        { class: 'card-foot' },
        h(
          'span',
          { class: `card-owner${incident.owner ? '' : ' muted'}` },
          hidden(`${t('owner')}: `),
          incident.owner ? incident.owner.name : t('unassigned'),
        ),
        h(
          'span',
          { class: 'card-age', title: incident.reportedAt },
          hidden(`${t('age')}: `),
          age(ageSeconds(incident.reportedAt)),
        ),
      ),
    );
  }

  function byUrgency(a, b) {
    const rank = (p) => (p ? PRIORITIES.indexOf(p) : PRIORITIES.length);
    return rank(a.priority) - rank(b.priority) || Date.parse(a.reportedAt) - Date.parse(b.reportedAt);
  }

  function renderBoard(dash, incidents) {
    const backlog = Object.fromEntries(dash.backlogByStage.map((b) => [b.stage, b]));
    const columns = STAGES.map((stage) => {
      const entry = backlog[stage] || { count: 0, owned: 0, unowned: 0, onHold: 0, pendingNotifications: 0 };
      const headingId = `stage-${stage}-title`;
      let body;
      if (stage === 'D2') {
        body = h(
          'div',
          { class: 'col-body overlay' },
          h(
            'dl',
            { class: 'figures' },
            figure(t('owned'), metric('dd', 'stage-D2-owned', entry.owned)),
            figure(
              t('unowned'),
              metric('dd', 'stage-D2-unowned', entry.unowned, null, { class: entry.unowned > 0 ? 'warn' : null }),
            ),
            figure(t('onHold'), metric('dd', 'stage-D2-on-hold', entry.onHold)),
          ),
          h('p', { class: 'col-note', text: t('handlingNote') }),
        );
      } else if (stage === 'D6') {
        body = h(
          'div',
          { class: 'col-body overlay' },
          h(
            'dl',
            { class: 'figures' },
            figure(
              t('pendingNotifications'),
              metric('dd', 'stage-D6-pending-notifications', entry.pendingNotifications, null, {
                class: entry.pendingNotifications > 0 ? 'warn' : null,
              }),
            ),
          ),
          h('p', { class: 'col-note', text: t('notificationNote') }),
        );
      } else {
        const cards = incidents.nodes.filter((i) => i.stage === stage).sort(byUrgency);
        const shown = cards.slice(0, CARDS_PER_STAGE);
        const rest = Math.max(entry.count, cards.length) - shown.length;
        body = h(
          'div',
          { class: 'col-body' },
          shown.length
            ? h('ol', { class: 'cards' }, shown.map(card))
            : h('p', { class: 'col-empty', text: t('noCards') }),
          rest > 0 ? h('p', { class: 'col-more', text: t('more', { n: num(rest) }) }) : null,
        );
      }
      return h(
        'section',
        {
          class: `col col-${stage}${MAIN_LINE.includes(stage) ? '' : ' col-overlay'}`,
          'aria-labelledby': headingId,
        },
        h(
          'header',
          { class: 'col-head' },
          h(
            'h3',
            { id: headingId },
            h('span', { class: 'col-code', text: stageCode(stage) }),
            h('span', { class: 'col-title', text: stageTitle(stage) }),
          ),
          metric('span', `stage-${stage}-count`, entry.count, null, { class: 'col-count', title: t('count') }),
        ),
        body,
      );
    });
    $('board').replaceChildren(...columns);
    $('board-note').textContent =
      incidents.totalCount > incidents.nodes.length
        ? t('firstOnly', { shown: num(incidents.nodes.length), total: num(incidents.totalCount) })
        : '';
  }

  function figure(label, value) {
    return h('div', { class: 'figure' }, h('dt', { text: label }), value);
  }

  function statsCells(prefix, stats) {
    return [
      metric('td', `${prefix}-count`, stats.count, null, { class: 'num' }),
      metric('td', `${prefix}-median`, stats.medianSeconds, duration(stats.medianSeconds), {
        class: 'num strong',
      }),
      metric('td', `${prefix}-p90`, stats.p90Seconds, duration(stats.p90Seconds), { class: 'num' }),
    ];
  }

  function renderClocks(dash) {
    const clocks = Object.fromEntries(dash.clocks.map((c) => [c.clock, c]));
    const head = [
      h(
        'tr',
        null,
        h('th', { scope: 'col', rowspan: 2, text: t('clock') }),
        h('th', { scope: 'col', rowspan: 2, class: 'num', text: t('count') }),
        h('th', { scope: 'col', rowspan: 2, class: 'num', text: t('median') }),
        h('th', { scope: 'col', rowspan: 2, class: 'num', text: t('p90') }),
        h('th', {
          scope: 'colgroup',
          colspan: PRIORITIES.length,
          class: 'group',
          text: t('medianByPriority'),
        }),
      ),
      h('tr', null, PRIORITIES.map((p) => h('th', { scope: 'col', class: 'num' }, priorityBadge(p)))),
    ];
    const rows = CLOCKS.filter((c) => clocks[c]).map((name) => {
      const clock = clocks[name];
      const byPriority = Object.fromEntries(clock.byPriority.map((p) => [p.priority, p.stats]));
      return h(
        'tr',
        null,
        h('th', { scope: 'row', text: t(name) }),
        statsCells(`clock-${name}`, clock.overall),
        PRIORITIES.map((p) => {
          const stats = byPriority[p];
          const median = stats ? stats.medianSeconds : null;
          return metric('td', `clock-${name}-${p}-median`, median, duration(median), {
            class: 'num muted-cell',
          });
        }),
      );
    });
    $('clocks').replaceChildren(table(t('clocks'), head, rows, { class: 'data' }));
  }

  function renderStageTimes(dash) {
    const times = Object.fromEntries(dash.timeInStage.map((s) => [s.state, s.stats]));
    const head = h(
      'tr',
      null,
      h('th', { scope: 'col', text: t('stage') }),
      h('th', { scope: 'col', class: 'num', text: t('count') }),
      h('th', { scope: 'col', class: 'num', text: t('median') }),
      h('th', { scope: 'col', class: 'num', text: t('p90') }),
    );
    const rows = MAIN_LINE.filter((s) => times[s]).map((stage) =>
      h(
        'tr',
        null,
        h(
          'th',
          { scope: 'row' },
          h('span', { class: 'mono code', text: stageCode(stage) }),
          ` ${stageTitle(stage)}`,
        ),
        statsCells(`stage-time-${stage}`, times[stage]),
      ),
    );
    $('stage-times').replaceChildren(table(t('timeInStage'), head, rows, { class: 'data' }));
  }

  function renderSla(dash) {
    const cells = new Map(dash.slaBreaches.map((b) => [`${b.clock}/${b.priority}`, b]));
    const head = h(
      'tr',
      null,
      h('th', { scope: 'col', text: t('clock') }),
      PRIORITIES.map((p) => h('th', { scope: 'col', class: 'num' }, priorityBadge(p))),
    );
    const rows = CLOCKS.map((clock) =>
      h(
        'tr',
        null,
        h('th', { scope: 'row', text: t(clock) }),
        PRIORITIES.map((priority) => {
          const b = cells.get(`${clock}/${priority}`);
          if (!b) {
            return h('td', { class: 'num muted', text: '—' });
          }
          const total = b.breached + b.runningBreached;
          return h(
            'td',
            {
              class: `num sla-cell${total > 0 ? ' breach' : ''}`,
              'data-metric': `sla-${clock}-${priority}`,
              'data-value': b.breached,
              'data-running': b.runningBreached,
            },
            h('span', { class: 'sla-main', 'aria-hidden': 'true' }, `${num(b.breached)}/${num(b.measured)}`),
            hidden(t('slaCell', { breached: num(b.breached), measured: num(b.measured) })),
            b.runningBreached > 0
              ? h('span', { class: 'sla-running', text: t('running', { n: num(b.runningBreached) }) })
              : null,
            h('span', { class: 'sla-target', text: t('target', { duration: duration(b.targetSeconds) }) }),
          );
        }),
      ),
    );
    $('sla').replaceChildren(table(t('sla'), head, rows, { class: 'data sla' }));
  }

  function countTable(caption, label, entries) {
    const max = Math.max(0, ...entries.map((e) => e.count));
    return table(
      caption,
      h(
        'tr',
        null,
        h('th', { scope: 'col', text: label }),
        h('th', { scope: 'col', class: 'num', text: t('count') }),
        h('td', { class: 'meter-col' }),
      ),
      entries.map((e) =>
        h(
          'tr',
          null,
          h('th', { scope: 'row' }, e.label),
          metric('td', e.metric, e.count, null, { class: 'num' }),
          h('td', { class: 'meter-col' }, meter(e.count, max)),
        ),
      ),
      { class: 'data compact' },
    );
  }

  function renderBacklog(dash) {
    const sev = new Map(dash.backlogBySeverity.map((s) => [s.severity, s.count]));
    const prio = new Map(dash.backlogByPriority.map((p) => [p.priority, p.count]));
    const severities = [...SEVERITIES, null].map((s) => ({
      label: severityBadge(s),
      count: sev.get(s) || 0,
      metric: `backlog-severity-${s || 'NONE'}`,
    }));
    const priorities = [...PRIORITIES, null].map((p) => ({
      label: p ? priorityBadge(p) : h('span', { class: 'badge prio prio-NONE', text: t('unclassified') }),
      count: prio.get(p) || 0,
      metric: `backlog-priority-${p || 'NONE'}`,
    }));
    $('backlog').replaceChildren(
      h('div', { class: 'table-wrap' }, countTable(`${t('backlog')}, ${t('severity')}`, t('severity'), severities)),
      h('div', { class: 'table-wrap' }, countTable(`${t('backlog')}, ${t('priority')}`, t('priority'), priorities)),
    );
  }

  function renderCoverage(dash) {
    const cov = dash.coverage;
    const uses = new Map(cov.services.map((s) => [s.service.code, s.count]));
    const provision = new Map(cov.portfolio.map((p) => [p.service.code, p.provision]));
    const notExercised = new Set(cov.declaredNotExercised.map((s) => s.code));
    const notDeclared = new Set(cov.exercisedNotDeclared.map((s) => s.code));
    const max = Math.max(0, ...uses.values());

    $('coverage-note').textContent = t('coverageNote', {
      exercised: num(cov.exercisedCount),
      total: num(cov.catalogServices),
      ratio: pct(cov.ratio),
    });
    $('coverage-legend').replaceChildren(...coverageLegend(max));

    const categories = (state.catalog ? state.catalog.categories : []).map((category) => {
      const used = category.services.filter((s) => uses.has(s.code)).length;
      const tiles = category.services.map((service) => {
        const count = uses.get(service.code) || 0;
        const flags = [];
        if (notExercised.has(service.code)) {
          flags.push(['dne', '○', t('declaredNotExercised')]);
        }
        if (notDeclared.has(service.code)) {
          flags.push(['end', '!', t('exercisedNotDeclared')]);
        }
        const declared = provision.get(service.code);
        return h(
          'li',
          {
            class: `tile heat-${heatLevel(count, max)}${flags.map(([c]) => ` flag-${c}`).join('')}`,
            title: [`${service.code} ${title(service)}`, declared && t(declared), ...flags.map((f) => f[2])]
              .filter(Boolean)
              .join(' · '),
          },
          h(
            'span',
            { class: 'tile-top' },
            h('span', { class: 'tile-code', text: service.code }),
            metric('span', `service-${service.code}`, count, null, { class: 'tile-count' }),
          ),
          h('span', { class: 'tile-title', text: title(service) }),
          h(
            'span',
            { class: 'tile-flags' },
            declared ? h('span', { class: `prov prov-${declared}`, text: t(declared) }) : null,
            flags.map(([c, mark, label]) =>
              h('span', { class: `flag flag-mark-${c}` }, markOf(mark), hidden(label)),
            ),
          ),
          hidden(t(count === 1 ? 'usesOne' : 'usesMany', { n: num(count) })),
        );
      });
      return h(
        'section',
        { class: 'cat', 'aria-label': `${category.code} ${title(category)}` },
        h(
          'div',
          { class: 'cat-head' },
          h('span', { class: 'cat-code', text: category.code }),
          h('span', { class: 'cat-title', text: title(category) }),
          h('span', { class: 'cat-used', text: `${num(used)} / ${num(category.services.length)}` }),
        ),
        h('ul', { class: 'tiles' }, tiles),
      );
    });
    $('coverage').replaceChildren(...categories);
  }

  function coverageLegend(max) {
    const scale = [
      h('span', { class: 'legend-label', text: `${t('uses')}:` }),
      h('span', { class: 'swatch heat-0', text: '0' }),
    ];
    for (let level = 1; level <= HEAT_LEVELS; level += 1) {
      const low = Math.floor((max * (level - 1)) / HEAT_LEVELS) + 1;
      const high = Math.floor((max * level) / HEAT_LEVELS);
      if (low <= high) {
        const range = low === high ? num(low) : `${num(low)}–${num(high)}`;
        scale.push(h('span', { class: `swatch heat-${level}`, text: range }));
      }
    }
    return [
      h('span', { class: 'legend-scale' }, scale),
      legendFlag('dne', '○', t('declaredNotExercised')),
      legendFlag('end', '!', t('exercisedNotDeclared')),
    ];
  }

  function markOf(mark) {
    return h('span', { 'aria-hidden': 'true', text: mark });
  }

  function legendFlag(kind, mark, label) {
    const flag = h('span', { class: `flag flag-mark-${kind}`, 'aria-hidden': 'true', text: mark });
    return h('span', { class: 'legend-flag' }, flag, label);
  }

  function monthsBetween(fromIso, toIso) {
    const from = new Date(fromIso);
    const to = new Date(Date.parse(toIso) - 1);
    const months = [];
    let year = from.getUTCFullYear();
    let month = from.getUTCMonth();
    while (year < to.getUTCFullYear() || (year === to.getUTCFullYear() && month <= to.getUTCMonth())) {
      months.push(`${year}-${String(month + 1).padStart(2, '0')}`);
      month += 1;
      if (month === 12) {
        month = 0;
        year += 1;
      }
    }
    return months;
  }

  function monthLabel(month) {
    const [year, m] = month.split('-').map(Number);
    const format = new Intl.DateTimeFormat(state.lang, { month: 'short', timeZone: 'UTC' });
    return format.format(new Date(Date.UTC(year, m - 1, 1)));
  }

  function renderMonths(dash) {
    const counts = new Map(dash.coverage.categoryMonths.map((c) => [`${c.category}/${c.month}`, c.count]));
    const months = monthsBetween(dash.from, dash.to);
    for (const c of dash.coverage.categoryMonths) {
      if (!months.includes(c.month)) {
        months.push(c.month);
      }
    }
    months.sort();
    const max = Math.max(0, ...counts.values());
    const head = h(
      'tr',
      null,
      h('th', { scope: 'col', text: t('category') }),
      months.map((m) =>
        h(
          'th',
          { scope: 'col', class: 'num', title: m },
          monthLabel(m),
          h('span', { class: 'month-year', text: m.slice(0, 4) }),
        ),
      ),
    );
    const rows = (state.catalog ? state.catalog.categories : []).map((category) =>
      h(
        'tr',
        null,
        h(
          'th',
          { scope: 'row', title: title(category) },
          h('span', { class: 'mono code', text: category.code }),
          h('span', { class: 'cat-name', text: title(category) }),
        ),
        months.map((m) => {
          const count = counts.get(`${category.code}/${m}`) || 0;
          const shown = count ? num(count) : [h('span', { 'aria-hidden': 'true', text: '·' }), hidden('0')];
          const level = heatLevel(count, max);
          return metric('td', `month-${category.code}-${m}`, count, shown, { class: `num heat heat-${level}` });
        }),
      ),
    );
    $('months').replaceChildren(table(t('months'), head, rows, { class: 'data heatmap' }));
  }

  function renderQuality(dash) {
    const q = dash.quality;
    const row = (label, name, value, extra) =>
      h(
        'tr',
        null,
        h('th', { scope: 'row', text: label }),
        metric('td', name, value, null, { class: 'num strong' }),
        h('td', { class: 'num muted', text: extra || '' }),
      );
    $('quality').replaceChildren(
      table(t('quality'), [], [
        row(t('qualityReported'), 'quality-reported', q.reported),
        row(t('falsePositives'), 'quality-false-positives', q.falsePositives, pct(q.falsePositiveShare)),
        row(t('closedInPeriod'), 'quality-closed', q.closed),
        row(t('reopened'), 'quality-reopened', q.reopened, pct(q.reopenRate)),
        row(t('failedContainments'), 'quality-failed-containments', q.failedContainments),
      ], { class: 'data compact' }),
    );
  }

  function effort(minutes) {
    return minutes ? duration(minutes * 60) : '—';
  }

  function renderWorkload(dash) {
    const people = [...dash.workload].sort(
      (a, b) => b.openOwned - a.openOwned || b.actions - a.actions || a.person.name.localeCompare(b.person.name),
    );
    const head = h(
      'tr',
      null,
      h('th', { scope: 'col', text: t('person') }),
      h('th', { scope: 'col', class: 'num', text: t('openOwned') }),
      h('th', { scope: 'col', class: 'num', text: t('actions') }),
      h('th', { scope: 'col', class: 'num', text: t('effort') }),
    );
    const rows = people.length
      ? people.map((w) =>
          h(
            'tr',
            null,
            h('th', { scope: 'row', text: w.person.name }),
            metric('td', `workload-${w.person.id}-open`, w.openOwned, null, { class: 'num' }),
            metric('td', `workload-${w.person.id}-actions`, w.actions, null, { class: 'num' }),
            metric('td', `workload-${w.person.id}-effort`, w.effortMinutes, effort(w.effortMinutes), {
              class: 'num',
            }),
          ),
        )
      : [h('tr', null, h('td', { colspan: 4, class: 'muted', text: t('noWorkload') }))];
    $('workload').replaceChildren(table(t('workload'), head, rows, { class: 'data compact' }));
  }

  // ---- data -------------------------------------------------------------------------------

  class Problem extends Error {
    constructor(key, vars) {
      super(key);
      this.key = key;
      this.vars = vars;
    }
  }

  async function graphql(query, variables) {
    const token = load(TOKEN_KEY);
    if (!token) {
      throw new Problem('signIn');
    }
    const response = await fetch(ENDPOINT, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json',
        Authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query, variables }),
      cache: 'no-store',
    });
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      throw new Problem('failed', { message: `HTTP ${response.status}` });
    }
    const error = body && body.errors && body.errors[0];
    const code = error && error.extensions && error.extensions.code;
    if (response.status === 401 || code === 'UNAUTHENTICATED') {
      throw new Problem('rejected');
    }
    if (error) {
      throw new Problem('failed', { message: error.message });
    }
    if (!response.ok || !body.data) {
      throw new Problem('failed', { message: `HTTP ${response.status}` });
    }
    return body.data;
  }

  function setPhase(phase) {
    ui.main.dataset.state = phase;
    ui.main.setAttribute('aria-busy', String(phase === 'loading'));
    renderStatus();
  }

  function fail(error, seq) {
    if (seq !== state.seq) {
      return;
    }
    state.problem =
      error instanceof Problem ? error : new Problem('failed', { message: String(error && error.message) });
    // Without a usable token or team, stale figures would mislead; a failed refresh keeps them.
    if (FATAL.includes(state.problem.key)) {
      state.data = null;
      state.loadedAt = null;
      stopLive();
    }
    setPhase(state.problem.key === 'signIn' ? 'signed-out' : 'error');
    renderMessage();
    render();
  }

  // Loads who the caller is and the catalog, then the dashboard.
  async function start() {
    const seq = ++state.seq;
    clearTimeout(state.timer);
    state.timer = null;
    state.busy = false;
    stopLive();
    state.data = null;
    state.teams = [];
    renderTeams();
    setPhase('loading');
    try {
      const context = await graphql(CONTEXT_QUERY);
      if (seq !== state.seq) {
        return;
      }
      state.catalog = context.catalog;
      state.teams = context.me.teams;
      renderTeams();
      if (!state.teams.length) {
        throw new Problem('noTeams');
      }
      await refresh();
    } catch (error) {
      fail(error, seq);
    }
  }

  // `retryLive`: the reader asked, so a follower that gave up gets another chance.
  async function refresh(retryLive) {
    if (!state.teams.length) {
      return;
    }
    const seq = ++state.seq;
    clearTimeout(state.timer);
    state.timer = null;
    // Whatever the events so far changed, this read includes.
    clearTimeout(state.live.timer);
    state.live.timer = null;
    state.live.missed = false;
    state.live.again = false;
    state.busy = true;
    state.refreshedAt = Date.now();
    const team = ui.team.value;
    const days = Number(ui.period.value) || 90;
    const variables = { team, from: new Date(Date.now() - days * DAY_MS).toISOString() };
    setPhase('loading');
    try {
      const data = await graphql(DASHBOARD_QUERY, variables);
      if (seq !== state.seq) {
        return;
      }
      state.data = data;
      state.loadedAt = new Date();
      state.problem = null;
      renderMessage();
      render();
      setPhase('ready');
      followTeam(team, data.eventCursor, retryLive === true);
    } catch (error) {
      fail(error, seq);
    }
    if (seq === state.seq) {
      state.busy = false;
      schedulePoll();
      if (state.live.again) {
        state.live.again = false;
        eventArrived();
      }
    }
  }

  function schedulePoll() {
    clearTimeout(state.timer);
    state.timer = null;
    if (!state.teams.length || (state.problem && FATAL.includes(state.problem.key))) {
      return;
    }
    state.timer = setTimeout(poll, state.live.phase === 'live' ? LIVE_POLL_MS : POLL_MS);
  }

  function poll() {
    // A hidden tab catches up when it is shown again.
    if (document.hidden) {
      schedulePoll();
      return;
    }
    refresh();
  }

  // Keeps one follower on the shown team, started from the cursor read with the figures on screen.
  function followTeam(team, cursor, retry) {
    const live = state.live;
    if (!window.TaioLive || !cursor) {
      return;
    }
    if (live.follower && live.team === team && !(retry && live.phase === 'stopped')) {
      return;
    }
    stopLive();
    const follower = window.TaioLive.follow({
      query: LIVE_QUERY,
      operationName: 'DashboardEvents',
      variables: { team },
      after: cursor,
      token: () => load(TOKEN_KEY),
      onEvent: () => {
        if (live.follower === follower) {
          live.events += 1;
          renderLive();
          eventArrived();
        }
      },
      onState: (phase, info) => {
        if (live.follower === follower) {
          liveState(phase, info);
        }
      },
    });
    live.follower = follower;
    live.team = team;
    liveState(follower.state, {});
  }

  function stopLive() {
    const live = state.live;
    if (live.follower) {
      live.follower.stop();
    }
    clearTimeout(live.timer);
    Object.assign(live, { follower: null, team: null, timer: null, missed: false, again: false });
    liveState('off', {});
  }

  function liveState(phase, info) {
    const live = state.live;
    const wasLive = live.phase === 'live';
    live.phase = phase;
    renderLive();
    // Polling picks up the slack while the connection is down, and steps back once it is live.
    if (wasLive !== (phase === 'live') && state.timer !== null) {
      schedulePoll();
    }
    // A refused token or a lost team shows up in the figures' own request, which says so.
    if (phase === 'stopped' && ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'].includes(info.code)) {
      refresh();
    }
    // The events since the figures on screen were pruned: read the figures again and follow
    // from their cursor.
    if (phase === 'stopped' && info.code === 'CURSOR_EXPIRED') {
      refresh(true);
    }
  }

  function eventArrived() {
    const live = state.live;
    if (document.hidden) {
      live.missed = true;
      return;
    }
    if (live.timer !== null) {
      return;
    }
    const wait = Math.max(LIVE_SETTLE_MS, state.refreshedAt + LIVE_SPACING_MS - Date.now());
    live.timer = setTimeout(() => {
      live.timer = null;
      // Starting another read would discard the one under way; on a slow dashboard and a steady
      // trickle of events none would ever finish.
      if (state.busy) {
        live.again = true;
      } else {
        refresh();
      }
    }, wait);
  }

  // ---- events -----------------------------------------------------------------------------

  ui.tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = ui.token.value.trim().replace(/^Bearer\s+/i, '');
    if (!token) {
      ui.token.focus();
      return;
    }
    store(TOKEN_KEY, token);
    ui.token.value = '';
    renderToken();
    start();
  });

  ui.tokenClear.addEventListener('click', () => {
    store(TOKEN_KEY, '');
    ui.token.value = '';
    renderToken();
    start();
  });

  ui.team.addEventListener('change', () => {
    store(TEAM_KEY, ui.team.value);
    // The old team's events would only trigger needless refreshes; the new team's follower starts
    // from the cursor read with its figures.
    stopLive();
    refresh();
  });

  ui.period.addEventListener('change', () => {
    store(DAYS_KEY, ui.period.value);
    refresh();
  });

  ui.refresh.addEventListener('click', () => {
    if (state.teams.length) {
      refresh(true);
    } else {
      start();
    }
  });

  for (const [button, lang] of [
    [ui.langJa, 'ja'],
    [ui.langEn, 'en'],
  ]) {
    button.addEventListener('click', () => {
      state.lang = lang;
      store(LANG_KEY, lang);
      applyLanguage();
    });
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden || !state.loadedAt) {
      return;
    }
    const every = state.live.phase === 'live' ? LIVE_POLL_MS : POLL_MS;
    if (state.live.missed || Date.now() - state.loadedAt.getTime() >= every) {
      refresh();
    }
  });

  // Another Taiō tab (GraphiQL or a dashboard) signed in or out.
  window.addEventListener('storage', (event) => {
    if (event.key === TOKEN_KEY || event.key === null) {
      renderToken();
      start();
    }
  });

  const savedDays = load(DAYS_KEY);
  if ([...ui.period.options].some((o) => o.value === savedDays)) {
    ui.period.value = savedDays;
  } else {
    ui.period.value = '90';
  }
  applyLanguage();
  start();
})();
