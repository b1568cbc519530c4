// Cost of the MySQL statement analysis (libs/policy-mysql, after a build): per statement, cache
// miss (lex + split + pre-pass + sqlparser-rs + facts) and cache hit, for simple and ORM-style
// statements, executable comments and multi-statement texts. Interleaved runs, median of 5.
//   node bench/policy-mysql.mjs
import {
  AnalysisCache,
  analyzeMysqlText,
  compileStatementPolicy,
  initSqlParser,
} from '../libs/policy-mysql/dist/index.js';

await initSqlParser();

const CASES = {
  'point select': 'SELECT id, email, name FROM customers WHERE id = 42',
  'ORM join':
    "SELECT `c`.`id`, `c`.`email`, `o`.`total`, `o`.`created_at` FROM `shop`.`customers` AS `c` INNER JOIN `shop`.`orders` AS `o` ON `o`.`customer_id` = `c`.`id` WHERE `c`.`id` = 42 AND `o`.`status` IN ('paid', 'sent') ORDER BY `o`.`created_at` DESC LIMIT 20",
  'update with WHERE': "UPDATE customers SET email = 'a@b.c', updated_at = NOW() WHERE id = 42",
  'executable comment': 'SELECT 1 /*!50000 , 2 */ FROM dual',
  'multi-statement (3)': 'SET @a = 1; SELECT * FROM orders WHERE id = @a; UPDATE orders SET seen = 1 WHERE id = @a',
  'PREPARE of a literal': "PREPARE p FROM 'SELECT * FROM orders WHERE id = ?'",
};

const rules = [
  { id: 'd', name: 'd', connectionIds: [], groups: [], match: { statementKinds: ['DROP', 'TRUNCATE'] } },
  { id: 'w', name: 'w', connectionIds: [], groups: [], match: { missingWhere: true } },
  { id: 'f', name: 'f', connectionIds: [], groups: [], match: { flags: ['serverFile', 'localFile'] } },
  { id: 's', name: 's', connectionIds: [], groups: [], match: { relations: ['secrets'] } },
  { id: 'g', name: 'g', connectionIds: [], groups: [], match: { functions: ['sleep', 'benchmark'] } },
  { id: 'u', name: 'u', connectionIds: [], groups: [], match: { unresolvedDynamicSql: true } },
];

function timeMiss(sql, iterations) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) analyzeMysqlText(sql);
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

function timeHit(sql, iterations) {
  const session = compileStatementPolicy(rules, [], { cache: new AnalysisCache() }).forSession('c', []);
  session.evaluate(sql);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) session.evaluate(sql);
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

/** A new literal each time (mysql2's client-side placeholders): a lexing and a shape lookup. */
function timeShape(sql, iterations) {
  const session = compileStatementPolicy(rules, [], { cache: new AnalysisCache() }).forSession('c', []);
  session.evaluate(sql.replace('42', '0'));
  const start = process.hrtime.bigint();
  for (let i = 1; i <= iterations; i += 1) session.evaluate(sql.replace('42', String(i)));
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = {};
for (const name of Object.keys(CASES)) results[name] = { miss: [], hit: [], shape: [] };
for (let round = 0; round < 5; round += 1) {
  for (const [name, sql] of Object.entries(CASES)) {
    results[name].miss.push(timeMiss(sql, 200));
    results[name].hit.push(timeHit(sql, 20000));
    results[name].shape.push(sql.includes('42') ? timeShape(sql, 2000) : NaN);
  }
}
process.stdout.write(
  '| statement | cache miss (µs) | same text again, 6 rules (µs) | new literal each time (µs) |\n| --- | ---: | ---: | ---: |\n',
);
for (const [name, { miss, hit, shape }] of Object.entries(results)) {
  const shaped = Number.isNaN(shape[0]) ? '—' : median(shape).toFixed(1);
  process.stdout.write(`| ${name} | ${median(miss).toFixed(0)} | ${median(hit).toFixed(2)} | ${shaped} |\n`);
}
