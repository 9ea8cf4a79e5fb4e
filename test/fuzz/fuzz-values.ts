import fc from 'fast-check';

/** Values that broke parsers somewhere before: SQL, NUL, emoji, RTL, XML, prototype names, number edge cases. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  "'; DROP TABLE device;--",
  "' OR '1'='1",
  '"; DELETE FROM product; --',
  '%00',
  '\u0000',
  'a\u0000b',
  '🚀🔥💥',
  '👩‍👩‍👧‍👦',
  '\u202Eevil\u202C',
  'مرحبا بالعالم',
  'שָׁלוֹם',
  '中文设备名',
  '\uFEFFbom',
  '\r\n',
  '\t',
  '<a>&amp;</a>',
  ']]>',
  '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '../../etc/passwd',
  '${jndi:ldap://x}',
  '{{7*7}}',
  'null',
  'undefined',
  'true',
  'TRUE',
  'false',
  'yes',
  '[]',
  '{}',
  '{"__proto__":{"polluted":1}}',
  '1e309',
  '-1e309',
  '1e-400',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '+0',
  '0',
  '-1',
  '-2147483649',
  '2147483648',
  '9007199254740993',
  '99999999999999999999',
  '-99999999999999999999999999999999',
  '1.5',
  '1,000',
  '0x1F',
  '0b101',
  '1_000',
  ' 1',
  '1 ',
  '１２３',
  '٣',
  '%',
  '%zz',
  '%E0%A4',
  '+',
  '&',
  '=',
  '.',
  '..',
];

/** Plausible, mostly valid values (schemas keep the ones they accept). */
export const PLAUSIBLE_VALUES: readonly string[] = [
  '0', '1', '2', '3', '10', '20', '50', '100', '200', '1000',
  'true', 'false',
  'WIFI', 'CELLULAR', 'ETHERNET', 'OTHER', 'ALINK_FORMAT', 'CUSTOM_FORMAT', 'secret', 'id2', 'iothub_senior', 'iothub',
  'ONLINE', 'OFFLINE', 'UNACTIVE', 'DISABLE', 'LINK_PLATFORM', 'MQTT', 'modbus', 'opc-ua',
  'fuzz_name', 'Fuzz名字', 'desc text', 'key1', 'color',
  '{"color":"red"}', '{"a":"1","b":"2"}', '{}',
];

/** Repeat-list indexes: mostly ordinary, sometimes hostile (rpc-protocol §3.1). */
export const ODD_INDEXES: readonly string[] = ['0', '00', '01', '-1', '+1', '1.5', '1e3', '', ' ', 'a', 'N', '99999999999999999999', '4294967297', '9007199254740993'];

/** Suffixes turning a name into a list or deeper key it was never meant to be. */
export const ODD_SUFFIXES: readonly string[] = ['.1', '.0', '.99999999999999999999', '.1.Key', '.1.Value', '.', '..', '.1.', '.-1', '.1.2.3', '.1.__proto__', '.__proto__'];

export const FORMATS: readonly string[] = ['JSON', 'XML', 'json', 'xml', 'Xml', 'jSoN', '', 'YAML', 'JSON ', 'XML;JSON', '%00', 'json\u0000'];

function wellFormed(s: string): boolean {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

/** Strings a client could send: anything that is valid Unicode. */
export const hostileValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }).filter(wellFormed) },
  { weight: 2, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
  // Long values: 10k characters (ASCII and multi-byte) and a JSON object nested 500 deep.
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(10_000), 'é'.repeat(10_000), '{"a":'.repeat(500) + '1' + '}'.repeat(500), '🚀'.repeat(2_600)) },
);
