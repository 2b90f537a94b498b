// The prelude of every script: it receives the host functions (which it
// hides from the script), defines input, output, console and base, and
// returns start(main), which runs the script's async main function and
// reports its end to the host. Functions named rowflow$… are skipped when
// an error's place in the script is looked for (script.go, errorAt).
(function rowflow$prelude(hostInput, hostLog, hostSet, hostTable, hostSelect, hostGet, hostFinish, maxLine, maxValue, maxLength) {
  'use strict';
  const J = JSON, freeze = Object.freeze, define = Object.defineProperty, apply = Reflect.apply;

  // The engine's Array methods loop over any array-like's length in C,
  // where the timeout is not checked: Array.prototype.indexOf.call(
  // {length: 2**40}) would run for hours. A length no array that fits the
  // memory limit can have is refused instead.
  function rowflow$length(o) {
    if (o === null || (typeof o !== 'object' && typeof o !== 'function')) return 0;
    const n = Math.trunc(Number(o.length));
    return n > 0 ? n : 0;
  }
  const AP = Array.prototype;
  // The methods that walk an array-like's indexes in C (the others are
  // O(1), call a function for every index, or go through an iterator,
  // where the deadline is checked).
  const walkers = ['concat', 'copyWithin', 'every', 'fill', 'filter', 'flat', 'flatMap', 'forEach', 'includes', 'indexOf',
    'join', 'lastIndexOf', 'map', 'reduce', 'reduceRight', 'reverse', 'shift', 'slice', 'some', 'sort', 'splice',
    'toLocaleString', 'toReversed', 'toSorted', 'toSpliced', 'toString', 'unshift', 'with'];
  for (const name of walkers) {
    const orig = AP[name];
    if (typeof orig !== 'function') continue;
    const guarded = function rowflow$array(...args) {
      if (rowflow$length(this) > maxLength) throw new RangeError('Array.prototype.' + name + ': a length of ' + rowflow$length(this) + ' is more than a script may use');
      if (name === 'concat') {
        for (const a of args) if (rowflow$length(a) > maxLength) throw new RangeError('Array.prototype.concat: a length of ' + rowflow$length(a) + ' is more than a script may use');
      }
      return apply(orig, this, args);
    };
    define(guarded, 'length', { value: orig.length });
    define(AP, name, { value: guarded, writable: true, enumerable: false, configurable: true });
  }

  function rowflow$host(fn, args) {
    const o = J.parse(fn.apply(undefined, args));
    if (o.error !== undefined) throw new Error(o.error);
    return o.value;
  }

  function rowflow$format(v) {
    switch (typeof v) {
      case 'string': return v;
      case 'undefined': case 'symbol': case 'bigint': case 'number': case 'boolean': return String(v);
      case 'function': return '[Function' + (v.name ? ': ' + v.name : '') + ']';
    }
    if (v === null) return 'null';
    if (v instanceof Error) return String(v);
    try {
      const seen = new WeakSet();
      const s = J.stringify(v, function rowflow$replacer(k, x) {
        if (typeof x === 'bigint') return String(x) + 'n';
        if (typeof x === 'object' && x !== null) {
          if (seen.has(x)) return '[Circular]';
          seen.add(x);
        }
        return x;
      });
      return s === undefined ? String(v) : s;
    } catch (e) {
      return String(v);
    }
  }

  let logsFull = false;
  function rowflow$log(level, args) {
    if (logsFull) return;
    let line = '';
    for (let i = 0; i < args.length && line.length <= maxLine; i++) {
      if (i > 0) line += ' ';
      line += rowflow$format(args[i]);
    }
    if (line.length > maxLine) line = line.slice(0, maxLine) + '…';
    if (!hostLog(level, line)) logsFull = true;
  }
  const console = freeze({
    log: function rowflow$consoleLog(...a) { rowflow$log(0, a); },
    debug: function rowflow$consoleDebug(...a) { rowflow$log(0, a); },
    info: function rowflow$consoleInfo(...a) { rowflow$log(1, a); },
    warn: function rowflow$consoleWarn(...a) { rowflow$log(2, a); },
    error: function rowflow$consoleError(...a) { rowflow$log(3, a); },
  });

  let config;
  const input = freeze({
    config: function rowflow$config() {
      if (config === undefined) config = J.parse(hostInput());
      return config;
    },
  });

  const output = freeze({
    set: function rowflow$set(key, value) {
      if (typeof key !== 'string' || key === '') throw new TypeError('output.set: the key must be a non-empty string');
      let s;
      try {
        s = J.stringify(value === undefined ? null : value);
      } catch (e) {
        throw new TypeError('output.set("' + key + '"): the value is not JSON-serialisable: ' + (e && e.message));
      }
      if (s === undefined) throw new TypeError('output.set("' + key + '"): the value is not JSON-serialisable (' + typeof value + ')');
      if (s.length > maxValue) throw new RangeError('output.set("' + key + '"): the output is larger than 1 MiB');
      const problem = hostSet(key, s);
      if (problem !== '') throw new RangeError('output.set("' + key + '"): ' + problem);
    },
  });

  function rowflow$record(r, table) {
    const fields = r.fields || {};
    const byID = {};
    for (const f of table.fields) byID[f.id] = f.name;
    function rowflow$cell(f) {
      const name = typeof f === 'object' && f !== null ? f.name : byID[f] !== undefined ? byID[f] : f;
      if (!(name in fields)) throw new Error('table "' + table.name + '" has no field "' + name + '"');
      return fields[name];
    }
    return freeze({
      id: r.id,
      createdTime: r.created_time,
      fields: fields,
      getCellValue: function rowflow$getCellValue(f) {
        const v = rowflow$cell(f);
        return v === undefined ? null : v;
      },
      getCellValueAsString: function rowflow$getCellValueAsString(f) {
        const v = rowflow$cell(f);
        if (v === null || v === undefined) return '';
        if (Array.isArray(v)) return v.map(function rowflow$str(x) { return typeof x === 'object' && x !== null ? (x.name || x.id || J.stringify(x)) : String(x); }).join(', ');
        return typeof v === 'object' ? J.stringify(v) : String(v);
      },
    });
  }

  const base = freeze({
    getTable: function rowflow$getTable(name) {
      const info = rowflow$host(hostTable, [String(name)]);
      const table = {
        id: info.id,
        name: info.name,
        fields: freeze(info.fields.map(freeze)),
        selectRecordsAsync: async function rowflow$selectRecordsAsync(opts) {
          if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) {
            throw new TypeError('selectRecordsAsync: the options must be an object {filter?, sort?, limit?}');
          }
          const list = rowflow$host(hostSelect, [info.id, J.stringify(opts === undefined ? {} : opts)]);
          const records = freeze(list.map(function rowflow$wrap(r) { return rowflow$record(r, table); }));
          return freeze({
            records: records,
            recordIds: freeze(records.map(function rowflow$id(r) { return r.id; })),
            getRecord: function rowflow$getRecord(id) {
              const r = records.find(function rowflow$find(x) { return x.id === id; });
              if (r === undefined) throw new Error('no record "' + id + '" in this query result');
              return r;
            },
          });
        },
        selectRecordAsync: async function rowflow$selectRecordAsync(id) {
          const r = rowflow$host(hostGet, [info.id, String(id)]);
          return r === null ? null : rowflow$record(r, table);
        },
      };
      return freeze(table);
    },
  });

  const g = globalThis;
  for (const [k, v] of [['input', input], ['output', output], ['console', console], ['base', base]]) {
    define(g, k, { value: v, writable: false, enumerable: false, configurable: false });
  }
  return function rowflow$start(main) {
    main().then(
      function rowflow$ok() { hostFinish(false, undefined); },
      function rowflow$failed(e) { hostFinish(true, e); });
  };
})
