import type { JsonObject } from './types.js';

/** Claims, by path (`profile.email`, `realm_access.roles`), that anyone holding the token can read. */
export interface ClearClaims {
  personal: string[];
  authorization: string[];
}

// Keys compared lowercased with `_`, `-` and spaces removed, so `given_name`, `givenName` and `Given-Name` match.
const PERSONAL = new Set([
  'email',
  'emailaddress',
  'mail',
  'upn',
  'name',
  'fullname',
  'givenname',
  'firstname',
  'familyname',
  'lastname',
  'surname',
  'middlename',
  'nickname',
  'preferredusername',
  'phone',
  'phonenumber',
  'mobile',
  'telephone',
  'address',
  'streetaddress',
  'postalcode',
  'zipcode',
  'birthdate',
  'birthday',
  'dateofbirth',
  'dob',
  'gender',
  'picture',
  'ssn',
  'nationalid',
  'ipaddr',
  'ipaddress',
]);
const AUTHORIZATION = new Set([
  'role',
  'roles',
  'group',
  'groups',
  'permission',
  'permissions',
  'perms',
  'entitlements',
  'privileges',
  'rights',
  'acl',
  'staff',
  'isstaff',
  'superuser',
  'issuperuser',
  'root',
  'isroot',
  'wids',
]);
const MAX_DEPTH = 8;

/**
 * Walks the claims (nested objects and arrays too) for personal data (email, names, phone, address,
 * birthdate…) and authorisation data (roles, groups, permissions, admin flags). A namespaced key such as
 * `https://example.com/roles` is judged by its last segment. Pure; never throws.
 */
export function findClearClaims(claims: JsonObject): ClearClaims {
  const found: ClearClaims = { personal: [], authorization: [] };
  walk(claims, '', 0, found);
  return found;
}

function walk(value: unknown, path: string, depth: number, found: ClearClaims): void {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      walk(item, `${path}[${index}]`, depth + 1, found);
    });
    return;
  }
  for (const [key, child] of Object.entries(value as JsonObject)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    const kind = classify(key);
    if (kind === 'personal' && isPresent(child)) found.personal.push(childPath);
    else if (kind === 'authorization' && isPresent(child)) found.authorization.push(childPath);
    else walk(child, childPath, depth + 1, found);
  }
}

function classify(key: string): 'personal' | 'authorization' | null {
  const last = key.split(/[/:#]/).pop() ?? key;
  const normalized = last.toLowerCase().replace(/[-_\s.]/g, '');
  if (PERSONAL.has(normalized)) return 'personal';
  if (AUTHORIZATION.has(normalized) || normalized.includes('admin')) return 'authorization';
  return null;
}

// An empty string, list or object reveals nothing; `false` (is_admin: false) still tells what the token grants.
function isPresent(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}
