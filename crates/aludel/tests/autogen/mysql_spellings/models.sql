CREATE TABLE owners (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  PRIMARY KEY (id)
) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4;
CREATE TABLE accounts (
  id int(11) NOT NULL AUTO_INCREMENT,
  owner_id bigint(20) unsigned DEFAULT NULL,
  active tinyint(1) NOT NULL DEFAULT '0',
  balance decimal(14,2) NOT NULL DEFAULT '0.00',
  created_at timestamp NOT NULL DEFAULT current_timestamp(),
  updated_at datetime(6) DEFAULT CURRENT_TIMESTAMP(6),
  note varchar(100) DEFAULT NULL,
  kind enum('basic','pro') NOT NULL DEFAULT 'basic',
  PRIMARY KEY (id),
  UNIQUE KEY accounts_note_key (note),
  CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='money';
