import type { Pool } from 'pg';
import { applyMigrations } from './migrate.js';
import type { Migration } from './sql.js';

/**
 * What a feature contributes to a database's migrations: its component name (the key of its rows in
 * `cloakroom_migrations`; versions count per component) and its migrations for tables in a given schema.
 */
export interface PostgresMigrationComponent {
  /** E.g. `accounts`; never renamed, or an existing database would run the migrations again. */
  readonly component: string;
  /** The component's migrations for tables in `schema` (`null`: the connection's search path). */
  readonly migrations: (schema: string | null) => readonly Migration[];
}

/**
 * One database's migrations: every feature that keeps tables in it adds its component, and one `migrate`
 * applies what is pending. Components run in the order they were added (add `users` before the tables that
 * refer to it), all in one transaction under one advisory lock, so processes starting at once queue and the
 * later ones find the work done, and a failure leaves the database as it was.
 *
 * @example
 * ```ts
 * await new PostgresMigrations()
 *   .add(POSTGRES_ACCOUNT_MIGRATIONS, POSTGRES_IDENTITY_MIGRATIONS, POSTGRES_FEDERATION_STATE_MIGRATIONS)
 *   .migrate(pool);
 * ```
 */
export class PostgresMigrations {
  readonly #schema: string | null;
  readonly #components: PostgresMigrationComponent[] = [];

  /** `schema` holds `cloakroom_migrations` and every component's tables; default: the search path. */
  constructor(options: { schema?: string } = {}) {
    this.#schema = options.schema ?? null;
  }

  /** Adds components after those already added; a component name may be added once only. */
  add(...components: PostgresMigrationComponent[]): this {
    for (const component of components) {
      if (this.#components.some((added) => added.component === component.component)) {
        throw new TypeError(`migration component ${component.component} is already added`);
      }
      // Built now, so a bad identifier or version shows where the component is added.
      component.migrations(this.#schema);
      this.#components.push(component);
    }
    return this;
  }

  /** The component names, in the order their migrations run. */
  get components(): string[] {
    return this.#components.map(({ component }) => component);
  }

  /** Applies every pending migration; resolves to the versions applied, by component (none: empty lists). */
  async migrate(pool: Pool): Promise<Map<string, number[]>> {
    const sets = this.#components.map(({ component, migrations }) => ({
      component,
      migrations: migrations(this.#schema),
    }));
    const ran = await applyMigrations(pool, this.#schema, sets);
    return new Map(sets.map(({ component }, i) => [component, ran[i] ?? []]));
  }
}
