/**
 * The API reference is the JSDoc on the public types (editors show it, and a TypeDoc run
 * over the declarations would print it): every symbol the package exports, and every public
 * member of its exported classes and interfaces, has a doc comment (inherited ones count:
 * a class member implementing a documented interface member). This test reads the entry
 * points with the TypeScript compiler and lists whatever is undocumented.
 */
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'mocha';
import ts from 'typescript';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The package's entry points (package.json "exports"). */
const ENTRIES = ['src/index.ts', 'src/core.ts', 'src/node/node-crypto.ts', 'src/redis/index.ts'];

function undocumented(): string[] {
  const files = ENTRIES.map((e) => join(repo, e));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const missing = new Set<string>();
  const doc = (symbol: ts.Symbol): string => ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  for (const file of files) {
    const source = program.getSourceFile(file);
    assert.ok(source, file);
    const module = checker.getSymbolAtLocation(source);
    assert.ok(module, `${file} is a module`);
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declaration = symbol.declarations?.[0];
      if (!declaration || !declaration.getSourceFile().fileName.startsWith(join(repo, 'src'))) continue;
      const where = declaration.getSourceFile().fileName.slice(repo.length + 1);
      if (exported.name !== 'default' && !doc(symbol)) missing.add(`${exported.name} (${where})`);
      if (!(symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface))) continue;
      for (const member of symbol.members?.values() ?? []) {
        const memberDeclaration = member.declarations?.[0];
        if (!memberDeclaration || member.name === '__constructor' || member.name.startsWith('_') || member.name.startsWith('#')) continue;
        if (ts.getCombinedModifierFlags(memberDeclaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
        if (!doc(member)) missing.add(`${exported.name}.${member.name} (${where})`);
      }
    }
  }
  return [...missing];
}

describe('documentation: JSDoc on every public type', function () {
  this.timeout(60_000);
  it('every export of puretls, puretls/core, puretls/node-crypto and puretls/redis, and every public member, is documented', () => {
    assert.deepEqual(undocumented(), []);
  });
});
