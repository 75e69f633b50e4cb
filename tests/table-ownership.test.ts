// The table-ownership check of `npm run lint` (lint/table-ownership.js), run
// through ESLint with the project's own configuration, and the ownership list
// it reads (server/src/store/table-owners.json) against the migrations.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ESLint } from 'eslint';
import { tempDir } from './helpers/env.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const RULE = 'rinki/table-ownership';

/** The table-ownership messages for `code`, as if it were the file at `file` (relative to `cwd`). */
async function ownershipProblems(file: string, code: string, cwd = ROOT): Promise<string[]> {
  const eslint = new ESLint({ cwd, overrideConfigFile: path.join(ROOT, 'eslint.config.js') });
  const [result] = await eslint.lintText(code, { filePath: path.join(cwd, file) });
  return result.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('table ownership (npm run lint)', function () {
  this.timeout(60_000);

  it("reports a capability's SQL that names another capability's table, naming both", async () => {
    const problems = await ownershipProblems(
      'server/src/urgent/sample.ts',
      "export const sql = `SELECT u.id, s.display_name FROM urgent_items u JOIN staff s ON s.id = u.owner_id`;\n",
    );
    expect(problems).to.have.length(1);
    expect(problems[0]).to.contain('urgent names staff, which directory owns');
  });

  it('finds tables in a comma list, after INSERT INTO, UPDATE and DELETE … USING, and SQL functions called', async () => {
    const code = [
      "export const a = 'SELECT 1 FROM callbacks b, organisations o WHERE o.id = b.requester_organisation_id';",
      "export const b = 'INSERT INTO presence (staff_id) VALUES ($1)';",
      "export const c = 'UPDATE routing_requests SET state = $2 WHERE id = $1';",
      "export const d = 'DELETE FROM callbacks c USING teams t WHERE t.id = c.target_team_id';",
      "export const e = 'SELECT audit_purge($1)';",
    ].join('\n');
    const problems = await ownershipProblems('server/src/callbacks/sample.ts', code);
    expect(problems.map((p) => /names (\w+)/.exec(p)![1])).to.have.members(['organisations', 'presence', 'routing_requests', 'teams', 'audit_purge']);
  });

  it("accepts a capability's SQL on its own tables, prose that is not SQL, and tests", async () => {
    expect(await ownershipProblems('server/src/directory/sample.ts', "export const sql = 'SELECT id FROM staff JOIN organisations o ON true';\n")).to.deep.equal([]);
    expect(await ownershipProblems('server/src/urgent/sample.ts', "export const text = 'The person was removed from teams and staff lists';\n")).to.deep.equal([]);
    expect(await ownershipProblems('server/src/urgent/sample.test.ts', "export const sql = 'SELECT 1 FROM staff';\n")).to.deep.equal([]);
  });

  describe('with an exception listed', () => {
    let dir: string;
    before(() => {
      dir = tempDir('table-owners-');
      const list = JSON.parse(fs.readFileSync(path.join(ROOT, 'server/src/store/table-owners.json'), 'utf8'));
      list.exceptions = [{ file: 'server/src/urgent/sample.ts', names: ['staff'], why: 'a test' }];
      fs.mkdirSync(path.join(dir, 'server/src/store'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'server/src/store/table-owners.json'), JSON.stringify(list));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('accepts what the exception names in its file only, and reports an exception the file no longer needs', async () => {
      expect(await ownershipProblems('server/src/urgent/sample.ts', "export const sql = 'SELECT 1 FROM staff';\n", dir)).to.deep.equal([]);
      expect(await ownershipProblems('server/src/urgent/other.ts', "export const sql = 'SELECT 1 FROM staff';\n", dir)).to.have.length(1);
      const stale = await ownershipProblems('server/src/urgent/sample.ts', "export const sql = 'SELECT 1 FROM urgent_items';\n", dir);
      expect(stale).to.have.length(1);
      expect(stale[0]).to.contain('no longer names it');
    });
  });

  it('gives every table and function the migrations create exactly one owner, and lists nothing they do not create', () => {
    const migrations = path.join(ROOT, 'server/src/store/migrations');
    const created = new Set(['schema_migrations']); // store/migrate.ts creates it
    for (const file of fs.readdirSync(migrations).filter((f) => f.endsWith('.sql'))) {
      const sql = fs.readFileSync(path.join(migrations, file), 'utf8');
      for (const m of sql.matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW|FUNCTION)\s+(\w+)/gi)) created.add(m[1].toLowerCase());
    }
    const list = JSON.parse(fs.readFileSync(path.join(ROOT, 'server/src/store/table-owners.json'), 'utf8')) as { owners: Record<string, { tables?: string[]; functions?: string[] }> };
    const owned = Object.values(list.owners).flatMap((o) => [...(o.tables ?? []), ...(o.functions ?? [])]);
    expect(owned.length, 'a name listed twice').to.equal(new Set(owned).size);
    expect([...owned].sort()).to.deep.equal([...created].sort());
    for (const capability of Object.keys(list.owners)) expect(fs.existsSync(path.join(ROOT, 'server/src', capability)), capability).to.equal(true);
  });
});
