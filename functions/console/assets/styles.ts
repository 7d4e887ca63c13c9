/** The console's whole stylesheet: small, self-hosted, no web fonts (system font stack). */
export const styles = `
:root { --fg:#1b1f24; --muted:#5b6570; --line:#d8dee4; --bg:#fff; --panel:#f6f8fa; --accent:#0b5cad;
  --ok:#1a7f37; --bad:#c62828; --live:#9a6700; --off:#6e7781; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
header.top { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
header.top nav { display: flex; flex-wrap: wrap; gap: .9rem; }
header.top form { margin-left: auto; }
main { padding: 1rem; max-width: 80rem; margin: 0 auto; }
h1 { font-size: 1.45rem; margin: .2rem 0 .8rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
.scroll { overflow-x: auto; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
pre { background: var(--panel); padding: .6rem; overflow: auto; max-height: 24rem; border: 1px solid var(--line); }
.muted { color: var(--muted); }
.status { display: inline-flex; align-items: center; gap: .3rem; font-weight: 600; white-space: nowrap; }
.status::before { font-weight: 700; }
.s-succeeded { color: var(--ok); } .s-succeeded::before { content: "✓"; }
.s-failed, .s-timed_out { color: var(--bad); } .s-failed::before { content: "✗"; } .s-timed_out::before { content: "⌛"; }
.s-running { color: var(--live); } .s-running::before { content: "▶"; }
.s-pending { color: var(--off); } .s-pending::before { content: "…"; }
.s-cancelled, .s-skipped { color: var(--off); } .s-cancelled::before { content: "⊘"; } .s-skipped::before { content: "↷"; }
.strip { display: inline-flex; gap: 2px; align-items: flex-end; height: 1rem; }
.strip span { width: 6px; height: 100%; background: var(--off); }
.strip .b-succeeded { background: var(--ok); } .strip .b-failed, .strip .b-timed_out { background: var(--bad); height: 100%; }
.strip .b-running, .strip .b-pending { background: var(--live); height: 70%; } .strip .b-cancelled { background: var(--off); height: 50%; }
form.inline { display: inline; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .4rem 0 1rem; }
label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: .15rem; }
input, select, textarea, button { font: inherit; padding: .3rem .5rem; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
textarea { width: 100%; min-height: 5rem; font-family: ui-monospace, monospace; }
button { cursor: pointer; background: var(--panel); }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button.danger { color: var(--bad); border-color: var(--bad); }
.notice { padding: .6rem .8rem; border: 1px solid var(--line); border-left: 4px solid var(--accent); background: var(--panel); margin: .5rem 0 1rem; }
.notice.error { border-left-color: var(--bad); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: .5rem 1.5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
.labels span { display: inline-block; border: 1px solid var(--line); border-radius: 3px; padding: 0 .3rem; margin: 0 .2rem .2rem 0; font-size: .8rem; }
.graph { border: 1px solid var(--line); background: var(--panel); overflow: auto; }
.graph svg { display: block; max-width: 100%; height: auto; }
.graph .stage rect { fill: #fff; stroke: var(--accent); } .graph .task rect { fill: #eef4fb; stroke: #8fb3d9; }
.graph text { font: 12px system-ui, sans-serif; fill: var(--fg); } .graph .edge { stroke: #57606a; fill: none; stroke-width: 1.4; }
.graph .arrow { fill: #57606a; }
.graph .t-succeeded rect { fill: #dafbe1; stroke: var(--ok); } .graph .t-failed rect { fill: #ffebe9; stroke: var(--bad); }
.graph .t-running rect { fill: #fff8c5; stroke: var(--live); } .graph .t-cancelled rect, .graph .t-skipped rect { fill: #eaeef2; stroke: var(--off); }
.chart { margin: 0; } .chart svg { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); background: var(--panel); }
.chart text { font: 10px system-ui, sans-serif; fill: var(--muted); } .chart .axis { stroke: var(--line); }
.chart .b-succeeded { fill: var(--ok); } .chart .b-failed, .chart .b-timed_out { fill: var(--bad); }
.chart .b-running { fill: var(--live); } .chart .b-pending, .chart .b-cancelled { fill: var(--off); }
.line-diff { padding: 0; } .line-diff span { display: block; padding: 0 .6rem; white-space: pre; }
.line-diff .add { background: #dafbe1; } .line-diff .del { background: #ffebe9; }
.change-added { color: var(--ok); } .change-removed { color: var(--bad); } .change-changed { color: var(--live); }
.sched-on::before { content: "● "; color: var(--ok); } .sched-off { font-weight: 600; color: var(--live); } .sched-off::before { content: "⏸ "; }
.missed { color: var(--bad); } ol.slots { margin: 0; padding-left: 1.2rem; }
.pager { display: flex; gap: 1rem; margin: .6rem 0; }
.copy { font-size: .75rem; padding: 0 .3rem; margin-left: .2rem; }
.empty { padding: 1rem; border: 1px dashed var(--line); color: var(--muted); }
.signin { max-width: 26rem; margin: 4rem auto; }
.signin input { width: 100%; }
@media (max-width: 40rem) { th.opt, td.opt { display: none; } main { padding: .6rem; } }
`;
