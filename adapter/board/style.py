"""The board pack's inline stylesheet: system fonts only, readable in print and greyscale."""

CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f4f4f2; color: #1a1a1a;
  font: 15px/1.45 -apple-system, "Segoe UI", Roboto, Arial, "Helvetica Neue", sans-serif; }
main { max-width: 1040px; margin: 0 auto; background: #fff; padding: 24px 32px 48px; }
header { border-bottom: 3px solid #1a1a1a; margin-bottom: 16px; }
.kicker { text-transform: uppercase; letter-spacing: .06em; font-size: 12px; margin: 0; }
h1 { font-size: 26px; margin: 4px 0 6px; }
h2 { font-size: 20px; margin: 32px 0 8px; border-bottom: 1px solid #999; padding-bottom: 4px; }
h3 { font-size: 17px; margin: 24px 0 4px; }
h4 { font-size: 14px; margin: 12px 0 4px; }
.meta { color: #444; font-size: 13px; margin: 4px 0 10px; }
.lead { font-size: 16px; }
nav ul { list-style: none; margin: 0 0 8px; padding: 0; display: flex; flex-wrap: wrap;
  gap: 4px 14px; font-size: 13px; }
nav a { color: #1a1a1a; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0 16px; }
.card { flex: 1 1 150px; border: 1px solid #777; border-radius: 4px; padding: 8px 10px; }
.card.practice { border-style: dashed; }
.card .label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .big { font-size: 26px; font-weight: 700; }
.card .small { font-size: 12px; color: #444; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 14px; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid #ccc; padding: 4px 6px; text-align: left;
  vertical-align: top; }
thead th { border-bottom: 2px solid #1a1a1a; background: #eee; }
tbody th { font-weight: 500; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 8px 0 16px; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #444; }
.quality ul, section ul { margin: 4px 0 8px 20px; padding: 0; }
.ok { color: #333; font-style: italic; }
section.trust { border-top: 1px dashed #aaa; }
#worst td, #method td, #method th, #quality td { overflow-wrap: anywhere; }
#worst td:nth-child(-n+5) { white-space: nowrap; word-break: normal; }
.asks { border: 2px solid #1a1a1a; padding: 4px 12px; margin: 10px 0; }
.asks h3 { margin: 4px 0; }
.asks ol { margin: 4px 0 6px 20px; padding: 0; }
@page { size: A4; margin: 11mm 12mm; }
@media print {
  body { background: #fff; font-size: 10.5px; line-height: 1.3; }
  nav { display: none; }
  main { padding: 0; max-width: none; }
  h2 { font-size: 15px; margin: 12px 0 4px; }
  h3 { font-size: 13px; margin: 8px 0 2px; }
  table { font-size: 9px; margin: 4px 0 8px; }
  th, td { padding: 1px 4px; }
  .card .big { font-size: 20px; }
  .lead { font-size: 12px; }
  figure svg { max-height: 62mm; }
  #areas { break-before: page; }
  section.trust, figure, tr, .asks, .cards { break-inside: avoid; }
}
"""
