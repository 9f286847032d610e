import * as vscode from 'vscode';
import type { Severity, TextRange } from '../core/plan/model';
import type { LineIndex } from '../core/plan/text';

/** Core offsets → an editor range, through the analysis' own line index. */
export function toRange(lines: LineIndex, range: TextRange): vscode.Range {
  const s = lines.position(range.start);
  const e = lines.position(Math.max(range.start, range.end));
  return new vscode.Range(s.line, s.column, e.line, e.column);
}

export function toSeverity(severity: Severity): vscode.DiagnosticSeverity {
  switch (severity) {
    case 'error':
      return vscode.DiagnosticSeverity.Error;
    case 'warning':
      return vscode.DiagnosticSeverity.Warning;
    default:
      return vscode.DiagnosticSeverity.Information;
  }
}
