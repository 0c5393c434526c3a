// soltrader dashboard: fetches /api/state (read from the journals) and renders it. Read-only:
// nothing here sends anything but GET requests. Every value is written with textContent.
"use strict";

const COLORS = ["#58a6ff", "#3fb950", "#d29922", "#bc8cff", "#f85149", "#39c5cf"];
let chart = null;
let chartKey = "";
let timer = null;

function num(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  return Number(v).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
function qty(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  return Number(v).toPrecision(6).replace(/\.?0+$/, "");
}
function pct(v) { return v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%"; }
function utc(ms) { return ms === null || ms === undefined ? "–" : new Date(ms).toISOString().slice(0, 19).replace("T", " "); }
function signed(el, v) { el.classList.toggle("up", v > 0); el.classList.toggle("down", v < 0); }

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}
function fill(id, rows, width, render) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren();
  if (!rows.length) {
    const tr = body.insertRow();
    const td = cell(tr, "none", "empty");
    td.colSpan = width;
    return;
  }
  for (const row of rows) {
    const tr = document.createElement("tr");
    render(tr, row);
    body.appendChild(tr);
  }
}

function healthOf(s) {
  if (!s.health) return { status: "not running", reasons: [] };
  return s.health;
}

function renderCards(live) {
  const sum = (key) => live.reduce((a, s) => a + s[key], 0);
  const el = (id) => document.getElementById(id);
  el("equity").textContent = num(sum("equity"));
  el("pnl-today").textContent = num(sum("pnl_today"));
  signed(el("pnl-today"), sum("pnl_today"));
  el("pnl-total").textContent = num(sum("pnl_total"));
  signed(el("pnl-total"), sum("pnl_total"));
  const trips = sum("round_trips");
  const wins = live.reduce((a, s) => a + (s.win_rate === null ? 0 : s.win_rate * s.round_trips), 0);
  el("win-rate").textContent = trips ? pct(wins / trips) : "–";
  el("bars").textContent = live.map((s) => s.bars).join(" / ") || "–";
  const lags = live.filter((s) => s.health && s.health.runner).map((s) => s.health.runner.seconds_since_bar);
  el("feed-lag").textContent = lags.length ? Math.max(...lags).toFixed(1) + " s" : "not running";
}

function renderStrategies(all) {
  fill("strategies", all, 16, (tr, s) => {
    tr.dataset.name = s.name;
    if (s.missing) { cell(tr, s.name); cell(tr, s.strategy); const td = cell(tr, s.missing, "empty"); td.colSpan = 14; return; }
    tr.dataset.bars = s.bars;
    tr.dataset.equity = s.equity;
    tr.dataset.pnlTotal = s.pnl_total;
    const h = healthOf(s);
    cell(tr, s.name); cell(tr, s.strategy); cell(tr, `${s.symbol} ${s.timeframe}`); cell(tr, s.venue);
    cell(tr, h.status, h.status.replace(" ", "-"));
    cell(tr, s.halted ? `halted: ${s.halted}` : "running", s.halted ? "halted" : "");
    cell(tr, s.mode); cell(tr, String(s.bars)); cell(tr, utc(s.last_open_time_ms));
    cell(tr, num(s.equity)); signed(cell(tr, num(s.pnl_today)), s.pnl_today);
    signed(cell(tr, num(s.pnl_total)), s.pnl_total); signed(cell(tr, num(s.realised)), s.realised);
    signed(cell(tr, num(s.unrealised)), s.unrealised); cell(tr, String(s.round_trips)); cell(tr, pct(s.win_rate));
  });
}

function renderTables(live) {
  const each = (key) => live.flatMap((s) => s[key].map((row) => ({ s, row })));
  fill("positions", each("positions"), 6, (tr, { s, row }) => {
    cell(tr, s.name); cell(tr, row.symbol); cell(tr, qty(row.qty)); cell(tr, qty(row.avg_entry));
    cell(tr, qty(row.last)); signed(cell(tr, num(row.unrealised)), row.unrealised);
  });
  fill("balances", live, 3, (tr, s) => {
    cell(tr, s.name); cell(tr, `${num(s.balances.cash)} ${s.quote}`); cell(tr, `${qty(s.balances.position)} ${s.base}`);
  });
  fill("orders", each("open_orders"), 6, (tr, { s, row }) => {
    cell(tr, s.name); cell(tr, row.client_order_id); cell(tr, row.venue); cell(tr, row.state);
    cell(tr, utc(row.sent_ms)); cell(tr, row.order_id || "–");
  });
  const trades = each("trades").sort((a, b) => (b.row.time_ms || 0) - (a.row.time_ms || 0)).slice(0, 25);
  fill("trades", trades, 7, (tr, { s, row }) => {
    cell(tr, s.name); cell(tr, utc(row.time_ms)); cell(tr, row.side, row.side === "buy" ? "up" : "down");
    cell(tr, qty(row.size)); cell(tr, qty(row.price)); cell(tr, num(row.fees, 4)); cell(tr, row.reason);
  });
  const providers = live.flatMap((s) => ((s.health && s.health.providers) || []).map((row) => ({ s, row })));
  fill("providers", providers, 6, (tr, { s, row }) => {
    cell(tr, s.name); cell(tr, row.name); cell(tr, row.role); cell(tr, row.breaker, row.breaker === "closed" ? "healthy" : "unhealthy");
    cell(tr, String(row.requests)); cell(tr, String(row.rate_limited));
  });
  const reasons = live.flatMap((s) => healthOf(s).reasons.map((r) => `${s.name}: ${r}`));
  document.getElementById("reasons").textContent = reasons.join(" · ");
}

function renderChart(live) {
  const box = document.getElementById("equity-chart");
  if (!live.length || typeof uPlot === "undefined") return;
  const tables = live.map((s) => [s.curve.t, s.curve.equity]);
  const data = live.length === 1 ? tables[0] : uPlot.join(tables);
  const key = live.map((s) => s.name).join("|");
  if (chart && chartKey === key) { chart.setData(data); return; }
  if (chart) chart.destroy();
  chartKey = key;
  const series = [{}, ...live.map((s, i) => ({ label: s.name, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true }))];
  const width = Math.max(300, box.clientWidth - 16);
  const axes = [{ stroke: "#8a99a8" }, { stroke: "#8a99a8", size: 80 }];
  chart = new uPlot({ width, height: 300, series, axes }, data, box);
}

async function refresh() {
  let delay = 2000;
  try {
    const reply = await fetch("/api/state", { cache: "no-store" });
    const state = await reply.json();
    delay = 1000 * state.refresh_s;
    const live = state.strategies.filter((s) => !s.missing);
    renderCards(live);
    renderStrategies(state.strategies);
    renderTables(live);
    renderChart(live);
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
    document.getElementById("updated").textContent = "updated " + new Date().toISOString().slice(11, 19) + " UTC";
  } catch (err) {
    document.getElementById("updated").textContent = "cannot reach the dashboard server: " + err;
  }
  timer = setTimeout(refresh, delay);
}

refresh();
