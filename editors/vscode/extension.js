// Client of the `regles lsp` language server: VS Code starts `<regles.commande> lsp` for .rules
// files and talks to it over standard input and output (vscode-languageclient adds `--stdio`).
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('regles').get('commande', 'regles');
  const cwd = vscode.workspace.workspaceFolders ? vscode.workspace.workspaceFolders[0].uri.fsPath : undefined;
  const serverOptions = { command, args: ['lsp'], transport: TransportKind.stdio, options: { cwd } };
  const clientOptions = { documentSelector: [{ scheme: 'file', language: 'regles' }] };
  client = new LanguageClient('regles', 'Règles', serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
