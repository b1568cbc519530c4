/*
 * Built-in MySQL/MariaDB functions: a call to any other name is a user function (a stored
 * function or a UDF such as `sys_exec`, whose body the gateway never saw) for `userFunctions`.
 * Generated from MariaDB 10.11 with
 *   SELECT lower(FUNCTION) FROM information_schema.SQL_FUNCTIONS
 *   UNION the function topics of mysql.help_topic (categories named …Functions/…Operators/geometry)
 * plus the keyword functions neither lists (IF, CHAR, DATE, LEFT, REPLACE, INSERT, CURRENT_USER, ROW…).
 * Built-ins of newer servers missing here count as user functions (fail closed).
 */
export const BUILTIN_FUNCTIONS: ReadonlySet<string> = new Set(
  `
  abs acos add_months adddate addtime aes_decrypt aes_encrypt against all any any_value area
  asbinary ascii asin astext aswkb aswkt atan atan2 avg benchmark bin bin_to_uuid binlog_gtid_pos
  bit_and bit_count bit_length bit_or bit_xor boundary buffer case cast ceil ceiling centroid
  char char_length character_length charset chr coalesce coercibility collation column_add
  column_check column_create column_delete column_exists column_get column_json column_list
  compress concat concat_operator_oracle concat_ws connection_id contains conv convert convert_tz
  convexhull cos cot count crc32 crc32c crosses cume_dist curdate current_date current_role
  current_time current_timestamp current_user curtime database date date_add date_format date_sub
  datediff day dayname dayofmonth dayofweek dayofyear decode decode_histogram decode_oracle
  default degrees dense_rank des_decrypt des_encrypt dimension disjoint div elt encode encrypt
  endpoint envelope equals exists exp export_set exteriorring extract extractvalue field
  find_in_set first_value floor format found_rows from_base64 from_days from_unixtime
  geomcollfromtext geomcollfromwkb geometrycollection geometrycollectionfromtext
  geometrycollectionfromwkb geometryfromtext geometryfromwkb geometryn geometrytype geomfromtext
  geomfromwkb get_lock glength greatest group_concat grouping hex hour if ifnull in inet6_aton
  inet6_ntoa inet_aton inet_ntoa insert instr interiorringn intersects interval is is_free_lock
  is_ipv4 is_ipv4_compat is_ipv4_mapped is_ipv6 is_used_lock is_uuid isclosed isempty isnull
  isring issimple json_array json_array_append json_array_insert json_arrayagg json_compact
  json_contains json_contains_path json_depth json_detailed json_equals json_exists json_extract
  json_insert json_keys json_length json_loose json_merge json_merge_patch json_merge_preserve
  json_normalize json_object json_objectagg json_overlaps json_pretty json_query json_quote
  json_remove json_replace json_search json_set json_table json_type json_unquote json_valid
  json_value lag last_day last_insert_id last_value lastval lcase lead least left length lengthb
  like linefromtext linefromwkb linestring linestringfromtext linestringfromwkb ln load_file
  localtime localtimestamp locate log log10 log2 lower lpad lpad_oracle ltrim ltrim_oracle
  make_set makedate maketime master_gtid_wait master_pos_wait match max mbrcontains mbrcoveredby
  mbrdisjoint mbrequal mbrintersects mbroverlaps mbrtouches mbrwithin md5 median microsecond mid
  min minute mlinefromtext mlinefromwkb mod month monthname mpointfromtext mpointfromwkb
  mpolyfromtext mpolyfromwkb multilinestring multilinestringfromtext multilinestringfromwkb
  multipoint multipointfromtext multipointfromwkb multipolygon multipolygonfromtext
  multipolygonfromwkb name_const natural_sort_key next_value nextval now nth_value ntile nullif
  numgeometries numinteriorrings numpoints nvl nvl2 oct octet_length old_password ord overlaps
  parentheses password percent_rank percentile_cont percentile_disc period_add period_diff pi
  point pointfromtext pointfromwkb pointn pointonsurface polyfromtext polyfromwkb polygon
  polygonfromtext polygonfromwkb position pow power previous_value quarter quote radians rand
  random_bytes rank regexp regexp_instr regexp_like regexp_replace regexp_substr
  release_all_locks release_lock repeat replace replace_oracle reverse right rlike round row
  row_count row_number rownum rpad rpad_oracle rtrim rtrim_oracle schema schemas sec_to_time
  second session_user setval sformat sha sha1 sha2 sign sin sleep some soundex space sqrt srid
  st_astext st_contains st_distance st_geomfromtext st_intersects st_x st_y startpoint std stddev
  stddev_pop stddev_samp str_to_date strcmp subdate substr substr_oracle substring
  substring_index subtime sum sys_guid sysdate system_user tan time time_format time_to_sec
  timediff timestamp timestampadd timestampdiff to_base64 to_char to_days to_seconds touches trim
  trim_oracle trunc truncate ucase uncompress uncompressed_length unhex unix_timestamp updatexml
  upper user utc_date utc_time utc_timestamp uuid uuid_short uuid_to_bin values var_pop var_samp
  variance version week weekday weekofyear weight_string within wsrep_last_seen_gtid
  wsrep_last_written_gtid wsrep_sync_wait_upto_gtid x xor y year yearweek`
    .trim()
    .split(/\s+/),
);
