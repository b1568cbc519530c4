import { HttpFrontDoor } from './http/http.front-door.js';
import { MysqlFrontDoor } from './mysql/mysql.front-door.js';
import { PostgresFrontDoor } from './postgres/postgres.front-door.js';
import { SshFrontDoor } from './ssh/ssh.front-door.js';

/**
 * The relay's front doors, one per protocol: a new protocol is a folder beside `postgres/` and
 * one line here.
 */
export const FRONT_DOOR_CLASSES = [PostgresFrontDoor, MysqlFrontDoor, SshFrontDoor, HttpFrontDoor] as const;
